import type { DoctorReport, Severity } from "../model.js";
import { fingerprint, problems } from "./common.js";

const SEVERITY: Record<Severity, "critical" | "minor" | "info"> = { error: "critical", warning: "minor", info: "info" };

/** GitLab Code Quality (Code Climate subset): failing, unwaived findings; fingerprints carry no line numbers. */
export function formatGitlab(report: DoctorReport): string {
  const issues = problems(report)
    .filter((f) => !f.waived)
    .map((f) => ({
      type: "issue",
      check_name: f.check,
      description: f.fix ? `${f.message}. Fix: ${f.fix}` : f.message,
      categories: [f.category === "security" ? "Security" : "Style"],
      severity: SEVERITY[f.severity],
      fingerprint: fingerprint(f),
      location: { path: f.file ?? ".paved.yml", lines: { begin: f.line ?? 1 } },
    }));
  return JSON.stringify(issues, null, 2) + "\n";
}
