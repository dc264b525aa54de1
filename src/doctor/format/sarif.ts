import { pavedVersion } from "../../paved-version.js";
import type { CheckInfo, DoctorReport, Finding, Severity } from "../model.js";
import { anchorOf, DOCS_URL, fingerprint, problems } from "./common.js";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { error: "error", warning: "warning", info: "note" };

/** GitHub's heading anchor for "### paved/version-lag" in docs/doctor.md. */
function anchor(id: string): string {
  return id
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, "")
    .replace(/ /g, "-");
}

function rule(info: CheckInfo) {
  return {
    id: info.id,
    shortDescription: { text: info.title },
    fullDescription: { text: info.help },
    helpUri: `${DOCS_URL}#${anchor(info.id)}`,
    help: { text: info.help },
    defaultConfiguration: { level: LEVEL[info.severity] },
    properties: { category: info.category, tags: [...new Set(["paved", info.category])] },
  };
}

function result(finding: Finding, report: DoctorReport, ruleIndex: number) {
  return {
    ruleId: finding.check,
    ...(ruleIndex >= 0 ? { ruleIndex } : {}),
    kind: "fail",
    level: LEVEL[finding.severity],
    message: { text: finding.fix ? `${finding.message}. Fix: ${finding.fix}` : finding.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: encodeURI(anchorOf(report, finding)) },
          region: { startLine: finding.line ?? 1 },
        },
      },
    ],
    partialFingerprints: { "pavedFinding/v1": fingerprint(finding, report.path) },
    properties: { category: finding.category },
    ...(finding.waived
      ? {
          suppressions: [
            { kind: "external", status: "accepted", justification: `${finding.waived.reason} (waived until ${finding.waived.until})` },
          ],
        }
      : {}),
  };
}

/**
 * SARIF 2.1.0: one rule per check (stable ids), one result per failing finding, each with a location from the
 * repository root. Several reports (`paved doctor --all`) make ONE run holding every service's results: GitHub
 * code scanning refuses several runs of one tool and category in a file (since June 2025) and takes at most 20
 * runs, while one run needs no category per service; results stay apart by their paths (and fingerprints).
 * A rule id two templates define differently keeps the first definition.
 */
export function formatSarif(reports: DoctorReport | readonly DoctorReport[]): string {
  const all: readonly DoctorReport[] = Array.isArray(reports) ? reports : [reports];
  // No report when `paved doctor --all` could check no service (each one's error is on stderr, exit 2): a run without results.
  const [first] = all;
  const version = first === undefined ? pavedVersion() : first.pavedVersion;
  const seen = new Set<string>();
  const rules = all
    .flatMap((r) => r.checks)
    .filter((c) => !seen.has(c.id) && seen.add(c.id))
    .map(rule);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const about = (r: DoctorReport) => ({ template: r.template, version: r.version, source: r.source, summary: r.summary });
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: { name: "paved", semanticVersion: version, version, informationUri: DOCS_URL, rules },
        },
        results: all.flatMap((r) => problems(r).map((f) => result(f, r, index.get(f.check) ?? -1))),
        columnKind: "unicodeCodePoints",
        properties:
          first === undefined
            ? { applications: [] }
            : all.length === 1
              ? { template: first.template, version: first.version, source: first.source, asOf: first.asOf, summary: first.summary }
              : { asOf: first.asOf, applications: all.map((r) => ({ path: r.path ?? "", ...about(r) })) },
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}
