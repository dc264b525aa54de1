import type { DoctorReport, Finding } from "../model.js";
import { anchorOf, byCategory, location, outcomeOf } from "./common.js";

/** XML 1.0 forbids most control characters even when escaped. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function describe(f: Finding): string {
  const where = location(f);
  return [`${where ? `${where}: ` : ""}${f.message}`, ...(f.fix ? [`  fix: ${f.fix}`] : [])].join("\n");
}

interface Case {
  name: string;
  /** A case is made for a check's first finding: never empty. */
  findings: [Finding, ...Finding[]];
}

function testcase(report: DoctorReport, category: string, c: Case): { xml: string; failed: boolean; skipped: boolean } {
  const failing = c.findings.filter((f) => {
    const o = outcomeOf(f);
    return o === "error" || (report.strict && o === "warning");
  });
  const [firstFailing] = failing;
  // The file attribute (GitLab shows it) is from the repository root, like every other location paved reports.
  const file = firstFailing ? ` file="${escapeXml(anchorOf(report, firstFailing))}"` : "";
  const open = `    <testcase classname="paved.doctor.${escapeXml(category)}" name="${escapeXml(c.name)}"${file} time="0"`;
  const outcomes = c.findings.map(outcomeOf);
  if (firstFailing) {
    const type = failing.some((f) => outcomeOf(f) === "error") ? "error" : "warning";
    const body = escapeXml(failing.map(describe).join("\n"));
    return {
      xml: `${open}>\n      <failure message="${escapeXml(firstFailing.message)}" type="${type}">${body}</failure>\n    </testcase>`,
      failed: true,
      skipped: false,
    };
  }
  if (outcomes.every((o) => o === "skip" || o === "waived")) {
    const [f] = c.findings;
    const message = f.waived ? `waived until ${f.waived.until}: ${f.waived.reason}` : f.message;
    return { xml: `${open}>\n      <skipped message="${escapeXml(message)}"/>\n    </testcase>`, failed: false, skipped: true };
  }
  const notes = c.findings.filter((f) => f.status === "fail");
  if (notes.length) {
    const text = escapeXml(notes.map((f) => `${outcomeOf(f)}: ${describe(f)}`).join("\n"));
    return { xml: `${open}>\n      <system-out>${text}</system-out>\n    </testcase>`, failed: false, skipped: false };
  }
  return { xml: `${open}/>`, failed: false, skipped: false };
}

interface Suite {
  xml: string;
  tests: number;
  failures: number;
  skipped: number;
}

function suitesOf(report: DoctorReport, label: string): Suite[] {
  return byCategory(report).map(([category, findings]) => {
    const cases = new Map<string, Case>();
    for (const f of findings) {
      const c = cases.get(f.check);
      if (c) c.findings.push(f);
      else cases.set(f.check, { name: f.check, findings: [f] });
    }
    const rendered = [...cases.values()].map((c) => testcase(report, category, c));
    const failures = rendered.filter((r) => r.failed).length;
    const skipped = rendered.filter((r) => r.skipped).length;
    const name = label ? `${label}: ${category}` : category;
    const xml = `  <testsuite name="${escapeXml(name)}" tests="${rendered.length}" failures="${failures}" errors="0" skipped="${skipped}" time="0">\n${rendered.map((r) => r.xml).join("\n")}\n  </testsuite>`;
    return { xml, tests: rendered.length, failures, skipped };
  });
}

/**
 * JUnit XML: a test suite per category, a test case per check; errors (and warnings with --strict) fail.
 * Several reports (`paved doctor --all`) make one document, each suite named with its service's path.
 */
export function formatJunit(reports: DoctorReport | readonly DoctorReport[]): string {
  const all: readonly DoctorReport[] = Array.isArray(reports) ? reports : [reports];
  const suites = all.flatMap((r) => suitesOf(r, all.length > 1 ? r.path || "." : ""));
  const total = (key: "tests" | "failures" | "skipped") => suites.reduce((n, s) => n + s[key], 0);
  const time = (all.reduce((ms, r) => ms + r.durationMs, 0) / 1000).toFixed(3);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="paved doctor" tests="${total("tests")}" failures="${total("failures")}" errors="0" skipped="${total("skipped")}" time="${time}">\n${suites.map((s) => s.xml).join("\n")}\n</testsuites>\n`;
}
