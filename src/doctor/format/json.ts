import type { DoctorReport } from "../model.js";
import { exitCodeOfReport } from "./common.js";

/** The whole report as one JSON object: the `--json` / `--format json` contract. */
export function formatJson(report: DoctorReport): string {
  return JSON.stringify(jsonReport(report), null, 2) + "\n";
}

/** What `--format json` prints for one service; `paved doctor --all` puts one per service in `applications`. */
export function jsonReport(report: DoctorReport) {
  const exitCode = exitCodeOfReport(report);
  return {
    ok: exitCode === 0,
    exitCode,
    dir: report.dir,
    path: report.path ?? "",
    template: report.template,
    version: report.version,
    latest: report.latest ?? null,
    source: report.source,
    strict: report.strict,
    asOf: report.asOf,
    summary: report.summary,
    fixed: report.fixed,
    findings: report.findings,
    checks: report.checks,
    durationMs: report.durationMs,
    ...(report.timings ? { timings: report.timings } : {}),
    pavedVersion: report.pavedVersion,
  };
}
