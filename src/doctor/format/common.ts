import { createHash } from "node:crypto";
import { exitCodeOf, outcomeOf, SERVICE_ANCHOR, type DoctorReport, type Finding, type Outcome } from "../model.js";

export const DOCS_URL = "https://github.com/paved-dev/paved/blob/main/docs/doctor.md";

/**
 * A finding's identity without its line: stays the same when code moves (GitLab, SARIF). A finding with no file
 * of its own counts as its service's (`servicePath`): two services' "CODEOWNERS is missing" stay two problems;
 * at the repository root it hashes as it always has.
 */
export function fingerprint(finding: Finding, servicePath = ""): string {
  const file = finding.file ?? (servicePath ? `${servicePath}/${SERVICE_ANCHOR}` : "");
  return createHash("sha256")
    .update(`${finding.check}\0${file}\0${finding.key ?? finding.message}`)
    .digest("hex");
}

export function exitCodeOfReport(report: DoctorReport): 0 | 1 {
  return exitCodeOf(report.summary, report.strict);
}

/** Failing findings that count or are waived: what annotations and code-scanning results are made of. */
export function problems(report: DoctorReport): Finding[] {
  return report.findings.filter((f) => f.status === "fail");
}

/**
 * The file a finding is anchored on, from the repository root: its own, else the service's `.paved.yml` (SARIF and
 * Code Quality need a location for every result).
 */
export function anchorOf(report: Pick<DoctorReport, "path">, finding: Finding): string {
  return finding.file ?? (report.path ? `${report.path}/${SERVICE_ANCHOR}` : SERVICE_ANCHOR);
}

export function location(finding: Finding): string | undefined {
  if (!finding.file) return undefined;
  return finding.line ? `${finding.file}:${finding.line}` : finding.file;
}

export const SYMBOLS: Record<Outcome, string> = {
  pass: "✓",
  error: "✗",
  warning: "!",
  info: "i",
  skip: "–",
  waived: "–",
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "9 passed, 1 error, 2 warnings, 1 waived, 3 skipped" (zero counts left out, except passed). */
export function summaryText(report: DoctorReport): string {
  const s = report.summary;
  const parts = [`${s.passed} passed`];
  if (s.errors) parts.push(plural(s.errors, "error"));
  if (s.warnings) parts.push(plural(s.warnings, "warning"));
  if (s.infos) parts.push(`${s.infos} info`);
  if (s.waived) parts.push(`${s.waived} waived`);
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  return parts.join(", ");
}

export { outcomeOf };

/** Findings grouped by category, categories in the order the checks ran. */
export function byCategory(report: DoctorReport): Array<[string, Finding[]]> {
  const groups = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const list = groups.get(f.category) ?? [];
    list.push(f);
    groups.set(f.category, list);
  }
  return [...groups];
}
