import type { ErrorFields, UserErrorCode } from "../../errors.js";
import { safeMessage } from "../../output.js";
import type { DoctorReport } from "../model.js";
import { redactReport } from "../redact.js";
import { exitCodeOfReport } from "./common.js";
import { formatGithub } from "./github.js";
import { formatGitlab } from "./gitlab.js";
import { formatHuman, type Palette } from "./human.js";
import { formatJson, jsonReport } from "./json.js";
import { formatJunit } from "./junit.js";
import { formatSarif } from "./sarif.js";

export const FORMATS = ["human", "json", "sarif", "junit", "github", "gitlab"] as const;
export type Format = (typeof FORMATS)[number];

/** Every format prints the report through redactReport: no committed secret is shown in full. */
export function formatReport(unredacted: DoctorReport, format: Format, human: { palette?: Palette; onlyProblems?: boolean } = {}): string {
  const report = redactReport(unredacted);
  switch (format) {
    case "human":
      return formatHuman(report, human.palette, { onlyProblems: human.onlyProblems ?? false });
    case "json":
      return formatJson(report);
    case "sarif":
      return formatSarif(report);
    case "junit":
      return formatJunit(report);
    case "github":
      return formatGithub(report);
    case "gitlab":
      return formatGitlab(report);
  }
}

/** A service `paved doctor --all` could not check (a broken .paved.yml, say): its error joins the combined report. */
export interface UncheckedApplication {
  path: string;
  error: { message: string; hint?: string; code: UserErrorCode; fields: ErrorFields };
}

/** The exit code of a combined report: 2 when a service could not be checked, else 1 when any report fails, else 0. */
export function exitCodeOfReports(reports: readonly DoctorReport[], unchecked: readonly UncheckedApplication[]): 0 | 1 | 2 {
  if (unchecked.length > 0) return 2;
  return reports.some((r) => exitCodeOfReport(r) !== 0) ? 1 : 0;
}

/**
 * One report for several services (`paved doctor --all`), in any format: every location from the repository
 * root. Human: each report under a heading. JSON: `{ ok, exitCode, applications: [...] }`, one `--format json`
 * object per service (with its `path`), or `{ path, ok: false, exitCode: 2, error }` for one that could not be
 * checked. SARIF, JUnit, GitHub and GitLab: one document holding every service's results (see each formatter).
 */
export function formatReports(
  unredacted: readonly DoctorReport[],
  format: Format,
  human: { palette?: Palette; onlyProblems?: boolean } = {},
  unchecked: readonly UncheckedApplication[] = [],
): string {
  const reports = unredacted.map(redactReport);
  switch (format) {
    case "human":
      return reports
        .map(
          (r, i) =>
            `${i === 0 ? "" : "\n"}${human.palette?.bold(`== ${r.path || "."}`) ?? `== ${r.path || "."}`}\n${formatHuman(r, human.palette, { onlyProblems: human.onlyProblems ?? false })}`,
        )
        .join("");
    case "json": {
      const exitCode = exitCodeOfReports(reports, unchecked);
      const applications = [
        ...reports.map((r) => ({ path: r.path ?? "", report: jsonReport(r) as Record<string, unknown> })),
        ...unchecked.map((u) => ({
          path: u.path,
          report: {
            path: u.path,
            ok: false,
            exitCode: 2,
            error: {
              message: safeMessage(u.error.message),
              ...(u.error.hint ? { hint: safeMessage(u.error.hint) } : {}),
              code: u.error.code,
              fields: u.error.fields,
            },
          },
        })),
      ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      return JSON.stringify({ ok: exitCode === 0, exitCode, applications: applications.map((a) => a.report) }, null, 2) + "\n";
    }
    case "sarif":
      return formatSarif(reports);
    case "junit":
      return formatJunit(reports);
    case "github":
      return formatGithub(reports);
    case "gitlab":
      return formatGitlab(reports);
  }
}
