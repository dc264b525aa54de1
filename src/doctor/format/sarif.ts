import type { CheckInfo, DoctorReport, Finding, Severity } from "../model.js";
import { DOCS_URL, fingerprint, problems } from "./common.js";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { error: "error", warning: "warning", info: "note" };

/** GitHub's heading anchor for "### paved/version-lag" in docs/doctor.md. */
function anchor(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");
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

function result(finding: Finding, ruleIndex: number) {
  return {
    ruleId: finding.check,
    ...(ruleIndex >= 0 ? { ruleIndex } : {}),
    kind: "fail",
    level: LEVEL[finding.severity],
    message: { text: finding.fix ? `${finding.message}. Fix: ${finding.fix}` : finding.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: encodeURI(finding.file ?? ".paved.yml") },
          region: { startLine: finding.line ?? 1 },
        },
      },
    ],
    partialFingerprints: { "pavedFinding/v1": fingerprint(finding) },
    properties: { category: finding.category },
    ...(finding.waived ? { suppressions: [{ kind: "external", status: "accepted", justification: `${finding.waived.reason} (waived until ${finding.waived.until})` }] } : {}),
  };
}

/** SARIF 2.1.0: one rule per check (stable ids), one result per failing finding, each with a location. */
export function formatSarif(report: DoctorReport): string {
  const seen = new Set<string>();
  const rules = report.checks.filter((c) => !seen.has(c.id) && seen.add(c.id)).map(rule);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "paved", semanticVersion: report.pavedVersion, version: report.pavedVersion, informationUri: DOCS_URL, rules } },
        results: problems(report).map((f) => result(f, index.get(f.check) ?? -1)),
        columnKind: "unicodeCodePoints",
        properties: { template: report.template, version: report.version, source: report.source, asOf: report.asOf, summary: report.summary },
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}
