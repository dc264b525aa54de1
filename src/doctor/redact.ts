import { redactUrls } from "../redact.js";
import { findSecrets, redact } from "./checks/secrets.js";
import type { DoctorReport, Finding } from "./model.js";

/**
 * Every secret the secrets check would report in a text, replaced by what paved/secrets shows of it (a prefix
 * and a length), and every URL's credentials (../redact.ts). A committed secret can surface in any finding (a
 * drift excerpt, a data check's value, a template's message), so every format prints text that passed here.
 */
export function redactText(text: string): string {
  return redactUrls(redactDetectedSecrets(text));
}

function redactDetectedSecrets(text: string): string {
  const found = findSecrets(text, { allowMarker: false });
  if (found.length === 0) return text;
  let out = "";
  let from = 0;
  for (const match of found) {
    if (match.index < from) continue;
    out += text.slice(from, match.index) + `[redacted ${redact(match.secret)}]`;
    from = match.index + match.secret.length;
  }
  return out + text.slice(from);
}

/** `key` is left alone: it is a fingerprint (paths, hashes), and a changed one would reopen every code-scanning alert. */
function redactFinding(finding: Finding): Finding {
  const out: Finding = { ...finding, message: redactText(finding.message) };
  if (finding.fix !== undefined) out.fix = redactText(finding.fix);
  if (finding.diff !== undefined) out.diff = redactText(finding.diff);
  if (finding.waived) out.waived = { ...finding.waived, reason: redactText(finding.waived.reason) };
  return out;
}

/** The report as every format may print it: the one door between findings and output. */
export function redactReport(report: DoctorReport): DoctorReport {
  return {
    ...report,
    source: redactUrls(report.source),
    findings: report.findings.map(redactFinding),
    checks: report.checks.map((c) => ({ ...c, title: redactText(c.title), help: redactText(c.help) })),
  };
}
