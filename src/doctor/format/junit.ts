import type { DoctorReport, Finding } from "../model.js";
import { byCategory, location, outcomeOf } from "./common.js";

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
  findings: Finding[];
}

function testcase(category: string, c: Case, strict: boolean): { xml: string; failed: boolean; skipped: boolean } {
  const open = `    <testcase classname="paved.doctor.${escapeXml(category)}" name="${escapeXml(c.name)}" time="0"`;
  const outcomes = c.findings.map(outcomeOf);
  const failing = c.findings.filter((f) => {
    const o = outcomeOf(f);
    return o === "error" || (strict && o === "warning");
  });
  if (failing.length) {
    const type = failing.some((f) => outcomeOf(f) === "error") ? "error" : "warning";
    const body = escapeXml(failing.map(describe).join("\n"));
    return { xml: `${open}>\n      <failure message="${escapeXml(failing[0]!.message)}" type="${type}">${body}</failure>\n    </testcase>`, failed: true, skipped: false };
  }
  if (outcomes.every((o) => o === "skip" || o === "waived")) {
    const f = c.findings[0]!;
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

/** JUnit XML: a test suite per category, a test case per check; errors (and warnings with --strict) fail. */
export function formatJunit(report: DoctorReport): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  for (const [category, findings] of byCategory(report)) {
    const cases = new Map<string, Case>();
    for (const f of findings) {
      const c = cases.get(f.check) ?? { name: f.check, findings: [] };
      c.findings.push(f);
      cases.set(f.check, c);
    }
    const rendered = [...cases.values()].map((c) => testcase(category, c, report.strict));
    const suiteFailures = rendered.filter((r) => r.failed).length;
    const suiteSkipped = rendered.filter((r) => r.skipped).length;
    tests += rendered.length;
    failures += suiteFailures;
    skipped += suiteSkipped;
    suites.push(
      `  <testsuite name="${escapeXml(category)}" tests="${rendered.length}" failures="${suiteFailures}" errors="0" skipped="${suiteSkipped}" time="0">\n${rendered.map((r) => r.xml).join("\n")}\n  </testsuite>`,
    );
  }
  const time = (report.durationMs / 1000).toFixed(3);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="paved doctor" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}">\n${suites.join("\n")}\n</testsuites>\n`;
}
