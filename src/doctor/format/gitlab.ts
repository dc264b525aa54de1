import type { DoctorReport, Severity } from "../model.js";
import { anchorOf, fingerprint, problems } from "./common.js";

const SEVERITY: Record<Severity, "critical" | "minor" | "info"> = { error: "critical", warning: "minor", info: "info" };

/**
 * GitLab Code Quality (Code Climate subset): failing, unwaived findings, located from the repository root;
 * fingerprints carry no line numbers. Several reports (`paved doctor --all`) make one list.
 */
export function formatGitlab(reports: DoctorReport | readonly DoctorReport[]): string {
  const all: readonly DoctorReport[] = Array.isArray(reports) ? reports : [reports];
  const issues = all.flatMap((report) =>
    problems(report)
      .filter((f) => !f.waived)
      .map((f) => ({
        type: "issue",
        check_name: f.check,
        description: f.fix ? `${f.message}. Fix: ${f.fix}` : f.message,
        categories: [f.category === "security" ? "Security" : "Style"],
        severity: SEVERITY[f.severity],
        fingerprint: fingerprint(f, report.path),
        location: { path: anchorOf(report, f), lines: { begin: f.line ?? 1 } },
      })),
  );
  return JSON.stringify(issues, null, 2) + "\n";
}
