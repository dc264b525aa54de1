import type { DoctorReport, Finding } from "../../src/doctor/model.js";
import { summarize } from "../../src/doctor/model.js";
import { BUILTIN_CHECKS } from "../../src/doctor/run.js";
import { waiversInfo } from "../../src/doctor/waivers.js";

/** A fixed report with every kind of outcome, for golden files: no clock, no temp paths. */
export function sampleReport(overrides: Partial<DoctorReport> = {}): DoctorReport {
  const findings: Finding[] = [
    { check: "paved/manifest", category: "paved", severity: "error", status: "pass", message: "service 1.0.0 from builtin", file: ".paved.yml" },
    { check: "paved/version-lag", category: "paved", severity: "warning", status: "fail", message: "1.0.0 is a minor version behind 1.1.0 (1.1.0 was released 2026-09-01; the 30-day grace period ended 2026-10-01)", file: ".paved.yml", line: 4, fix: "run `paved upgrade` to move to 1.1.0", key: "1.0.0->1.1.0" },
    { check: "paved/required-files", category: "files", severity: "error", status: "fail", message: "Dockerfile is missing", file: ".paved.yml", line: 1, key: "Dockerfile", fix: "run `paved doctor --fix` to restore it from the template", fixable: true },
    {
      check: "paved/managed-drift",
      category: "files",
      severity: "error",
      status: "fail",
      message: "deploy/base/pdb.yaml differs from the template from line 6",
      file: "deploy/base/pdb.yaml",
      line: 6,
      key: "deploy/base/pdb.yaml",
      fixable: true,
      fix: "run `paved doctor --fix` to restore it from the template",
      diff: "--- template\n+++ working tree\n@@ -5,3 +5,3 @@\n spec:\n-  minAvailable: 1\n+  minAvailable: 0\n",
    },
    { check: "service/ci-workflow", category: "ci", severity: "error", status: "fail", message: "no CI job runs `paved doctor` (.github/workflows/ci.yml)", file: ".github/workflows/ci.yml", line: 9, key: "doctor", fix: "add a step that runs `npx paved doctor --format github`" },
    { check: "service/alert-rules", category: "monitoring", severity: "error", status: "fail", message: "monitoring/alerts.yml lacks the required alert TargetDown", file: "monitoring/alerts.yml", line: 1, key: "monitoring/alerts.yml:missing-alerts:TargetDown", waived: { reason: "alerts move to the shared | stack", until: "2026-12-31" } },
    { check: "service/dashboard", category: "monitoring", severity: "error", status: "skip", message: "the template ships no dashboard" },
    { check: "service/ownership", category: "ownership", severity: "error", status: "pass", message: "CODEOWNERS and catalog-info.yaml name team-payments" },
    { check: "paved/secrets", category: "security", severity: "error", status: "fail", message: "GitHub token committed: ghp_… (40 characters)", file: "src/config.ts", line: 12, key: "github-token:0123456789abcdef", fix: "remove it and rotate it now" },
    { check: "service/non-root", category: "container", severity: "info", status: "fail", message: 'the image runs as a non-root user (Dockerfile does not match /^USER\\s+\\S+/) <50% "quoted" & 100%, done', file: "Dockerfile", line: 1, key: "Dockerfile:absent" },
    { check: "paved/waivers", category: "paved", severity: "warning", status: "pass", message: "1 waiver current" },
  ];
  return {
    dir: "/srv/payments-api",
    template: "service",
    version: "1.0.0",
    source: "builtin",
    latest: "1.1.0",
    checks: [
      ...BUILTIN_CHECKS.map((c) => c.info),
      { id: "service/non-root", category: "container", title: "the image runs as a non-root user", severity: "info", help: "add USER 1000 to the Dockerfile" },
      waiversInfo,
    ],
    findings,
    summary: summarize(findings),
    strict: false,
    asOf: "2026-11-21",
    fixed: [],
    durationMs: 87,
    pavedVersion: "0.1.0",
    ...overrides,
  };
}
