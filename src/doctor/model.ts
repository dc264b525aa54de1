/**
 * The one result model every check produces and every format consumes.
 * A check yields one or more findings; a passing check yields one finding with status "pass".
 */
export type Severity = "error" | "warning" | "info";
export type Status = "pass" | "fail" | "skip";

export interface Finding {
  /** Stable check id, e.g. "paved/version-lag"; SARIF rule id, JUnit test name, Code Quality check_name. */
  check: string;
  category: string;
  severity: Severity;
  status: Status;
  message: string;
  /** Repository-relative POSIX path the finding is anchored on (from the git root; checks give it from the service dir). */
  file?: string;
  line?: number;
  /** What to do about it. */
  fix?: string;
  /** A short unified diff excerpt (managed drift). */
  diff?: string;
  /** What identifies this problem independent of its line (fingerprints); defaults to the message. */
  key?: string;
  /** `paved doctor --fix` can restore this from the template. */
  fixable?: boolean;
  /** Set when a current waiver in .paved.yml covers this failing finding. */
  waived?: { reason: string; until: string };
}

/** How a finding counts: what the exit code and every summary look at. */
export type Outcome = "pass" | "error" | "warning" | "info" | "skip" | "waived";

export function outcomeOf(finding: Finding): Outcome {
  if (finding.status === "pass") return "pass";
  if (finding.status === "skip") return "skip";
  if (finding.waived) return "waived";
  return finding.severity;
}

/** A check's description: the SARIF rule, the docs entry, the default category. */
export interface CheckInfo {
  id: string;
  category: string;
  title: string;
  severity: Severity;
  help: string;
}

export interface Summary {
  passed: number;
  errors: number;
  warnings: number;
  infos: number;
  skipped: number;
  waived: number;
}

export interface DoctorReport {
  /** Absolute directory of the service. */
  dir: string;
  /**
   * The service's path from the repository root (git's top level): "" at the root, e.g. "packages/svc-a" below
   * it. Every finding's `file` is relative to that root, so annotations land on the right file in a monorepo.
   */
  path?: string;
  template: string;
  version: string;
  source: string;
  /** Latest release in the source, when known. */
  latest?: string;
  /** Every check that ran, in run order (template data checks included). */
  checks: CheckInfo[];
  findings: Finding[];
  summary: Summary;
  strict: boolean;
  /** The day dates were judged as of (YYYY-MM-DD): `--as-of`, else the day of the run (UTC). */
  asOf: string;
  /** Files `--fix` restored before the checks ran. */
  fixed: FixAction[];
  durationMs: number;
  /** Where the time went: reading .paved.yml and the template, then each check (ms). */
  timings?: { setupMs: number; checksMs: Record<string, number> };
  pavedVersion: string;
}

export interface FixAction {
  path: string;
  action: "created" | "restored";
}

export function summarize(findings: readonly Finding[]): Summary {
  const summary: Summary = { passed: 0, errors: 0, warnings: 0, infos: 0, skipped: 0, waived: 0 };
  for (const f of findings) {
    const outcome = outcomeOf(f);
    if (outcome === "pass") summary.passed++;
    else if (outcome === "error") summary.errors++;
    else if (outcome === "warning") summary.warnings++;
    else if (outcome === "info") summary.infos++;
    else if (outcome === "skip") summary.skipped++;
    else summary.waived++;
  }
  return summary;
}

/** 1 when any error (or, with strict, any warning) is left unwaived; else 0. */
export function exitCodeOf(summary: Summary, strict: boolean): 0 | 1 {
  if (summary.errors > 0) return 1;
  if (strict && summary.warnings > 0) return 1;
  return 0;
}

/** The anchor for findings about files that do not exist: SARIF needs a location for every result. */
export const SERVICE_ANCHOR = ".paved.yml";
