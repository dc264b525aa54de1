import type { DoctorReport, Outcome } from "../model.js";
import { byCategory, exitCodeOfReport, location, outcomeOf, summaryText, SYMBOLS } from "./common.js";

/** The colours the human format uses; a chalk instance fits, and identity functions give plain text. */
export interface Palette {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const plain = (text: string) => text;
export const PLAIN: Palette = { green: plain, red: plain, yellow: plain, cyan: plain, dim: plain, bold: plain };

function colourOf(outcome: Outcome, c: Palette): (text: string) => string {
  switch (outcome) {
    case "pass":
      return c.green;
    case "error":
      return c.red;
    case "warning":
      return c.yellow;
    case "info":
      return c.cyan;
    default:
      return c.dim;
  }
}

/** Grouped by category: one line a finding (✓ ✗ ! –), its place, fix hint and diff excerpt, then a summary line. */
export function formatHuman(report: DoctorReport, c: Palette = PLAIN, options: { onlyProblems?: boolean } = {}): string {
  const lines: string[] = [];
  const latest = report.latest && report.latest !== report.version ? `, latest ${report.latest}` : "";
  lines.push(`${c.bold("paved doctor")} ${report.dir}: ${report.template} ${report.version} from ${report.source}${latest}`);
  if (report.fixed.length) {
    lines.push("", c.bold("Fixed"));
    for (const f of report.fixed) lines.push(`  ${c.green(f.action)} ${f.path}`);
  }
  for (const [category, all] of byCategory(report)) {
    const findings = options.onlyProblems ? all.filter((f) => f.status === "fail") : all;
    if (findings.length === 0) continue;
    lines.push("", c.bold(category));
    for (const f of findings) {
      const outcome = outcomeOf(f);
      const where = f.status === "fail" && location(f) ? c.dim(`  ${location(f)}`) : "";
      lines.push(`  ${colourOf(outcome, c)(SYMBOLS[outcome])} ${f.check}  ${f.message}${where}`);
      if (f.waived) lines.push(`      ${c.dim(`waived until ${f.waived.until}: ${f.waived.reason}`)}`);
      if (f.status === "fail" && !f.waived) {
        if (f.diff)
          for (const d of f.diff.trimEnd().split("\n"))
            lines.push(
              `      ${d.startsWith("+") && !d.startsWith("+++") ? c.green(d) : d.startsWith("-") && !d.startsWith("---") ? c.red(d) : c.dim(d)}`,
            );
        if (f.fix) lines.push(`      ${c.dim("fix:")} ${f.fix}`);
      }
    }
  }
  const code = exitCodeOfReport(report);
  const verdict =
    code === 0 ? c.green("ok") : c.red(report.strict && report.summary.errors === 0 ? "failed (--strict: warnings count)" : "failed");
  lines.push("", `${verdict}: ${summaryText(report)} (${(report.durationMs / 1000).toFixed(2)} s)`);
  return lines.join("\n") + "\n";
}
