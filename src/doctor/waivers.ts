import type { Waiver } from "../service-file.js";
import { SERVICE_ANCHOR, type CheckInfo, type Finding } from "./model.js";
import { lineContaining } from "./yaml-lines.js";

export const waiversInfo: CheckInfo = {
  id: "paved/waivers",
  category: "paved",
  title: "waivers in .paved.yml are current and name known checks",
  severity: "warning",
  help:
    "A waiver (`waivers: [{check, reason, until}]` in .paved.yml) turns a failing check into a waived one until its date (inclusive). " +
    "An expired waiver is ignored and reported here, as is a waiver for a check that does not exist.",
};

/** `service/*` waives every check of the group; anything else names one check. */
export function waiverCovers(waiver: Waiver, check: string): boolean {
  if (waiver.check.endsWith("/*")) return check.startsWith(waiver.check.slice(0, -1));
  return waiver.check === check;
}

function waiverLine(serviceText: string, waiver: Waiver): number {
  return lineContaining(serviceText, `check: ${waiver.check}`) ?? lineContaining(serviceText, waiver.check) ?? 1;
}

/**
 * Mark failing findings covered by a current waiver as waived, and report expired or unknown waivers.
 * `asOf` and `until` are YYYY-MM-DD; a waiver holds through its `until` day.
 */
export function applyWaivers(
  findings: readonly Finding[],
  waivers: readonly Waiver[],
  knownChecks: readonly string[],
  asOf: string,
  serviceText: string,
): Finding[] {
  const current = waivers.filter((w) => asOf <= w.until);
  const out = findings.map((finding) => {
    if (finding.status !== "fail" || finding.check === waiversInfo.id) return finding;
    const waiver = current.find((w) => waiverCovers(w, finding.check));
    return waiver ? { ...finding, waived: { reason: waiver.reason, until: waiver.until } } : finding;
  });
  const problems: Finding[] = [];
  for (const waiver of waivers) {
    const at = { file: SERVICE_ANCHOR, line: waiverLine(serviceText, waiver) };
    if (!knownChecks.some((id) => waiverCovers(waiver, id))) {
      problems.push({
        check: waiversInfo.id,
        category: waiversInfo.category,
        severity: "warning",
        status: "fail",
        message: `the waiver for ${waiver.check} names no check that doctor runs`,
        ...at,
        key: `unknown:${waiver.check}`,
        fix: `fix the check id (see \`paved doctor --format json\` for ids) or remove the waiver`,
      });
    } else if (asOf > waiver.until) {
      problems.push({
        check: waiversInfo.id,
        category: waiversInfo.category,
        severity: "warning",
        status: "fail",
        message: `the waiver for ${waiver.check} expired on ${waiver.until} and is ignored ("${waiver.reason}")`,
        ...at,
        key: `expired:${waiver.check}:${waiver.until}`,
        fix: `fix what ${waiver.check} reports, or extend \`until\` with a reason your team agrees to`,
      });
    }
  }
  if (problems.length) return [...out, ...problems];
  const summary = waivers.length === 0 ? "no waivers" : `${waivers.length} waiver${waivers.length === 1 ? "" : "s"} current`;
  return [...out, { check: waiversInfo.id, category: waiversInfo.category, severity: "warning", status: "pass", message: summary }];
}
