import type { DoctorReport } from "../model.js";
import { exitCodeOfReport } from "./common.js";

/** The whole report as one JSON object: the `--json` / `--format json` contract. */
export function formatJson(report: DoctorReport): string {
  const exitCode = exitCodeOfReport(report);
  const out = {
    ok: exitCode === 0,
    exitCode,
    dir: report.dir,
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
  return JSON.stringify(out, null, 2) + "\n";
}
