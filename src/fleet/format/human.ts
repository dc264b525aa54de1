import type { ChalkInstance } from "chalk";
import { defined } from "../../errors.js";
import type { FleetReport } from "../model.js";
import { doctorText, driftText, lagText, summaryLines } from "./text.js";

/** Columns as wide as their widest cell; every row has a cell in each of the header's columns. */
function table(rows: [string[], ...string[][]]): string[] {
  const [header] = rows;
  const widths = header.map((_, i) => Math.max(...rows.map((r) => defined(r[i], "a table cell").length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(defined(widths[i], "a column's width"))))
      .join("  ")
      .trimEnd(),
  );
}

/** A terminal summary: the roll-ups, then one line a service. */
export function formatHuman(report: FleetReport, c?: ChalkInstance): string {
  const bold = (s: string) => (c ? c.bold(s) : s);
  const lines = [bold(`paved fleet report as of ${report.options.asOf}: ${report.summary.scanned} repositories scanned`)];
  for (const [label, text] of summaryLines(report)) lines.push(`  ${label.padEnd(13)}${text}`);
  const paved = report.services.filter((r) => r.status === "paved");
  if (paved.length) {
    lines.push(
      "",
      ...table([
        ["service", "owner", "template", "version", "latest", "lag", "drift", "doctor"],
        ...paved.map((r) => [
          r.id,
          r.owner ?? "–",
          r.template ?? "–",
          r.version ?? "–",
          r.lag?.latest ?? "–",
          lagText(r),
          driftText(r),
          doctorText(r),
        ]),
      ]),
    );
  }
  const failing = report.checks.filter((ch) => ch.fail > 0);
  if (failing.length) {
    lines.push("", bold("failing checks"));
    for (const ch of failing) lines.push(`  ${ch.id}: ${ch.fail} failing, ${ch.pass} passing`);
  }
  const soon = report.services.flatMap((r) =>
    r.waivers.filter((w) => w.expiresSoon).map((w) => `  ${r.id}: ${w.check} until ${w.until} (${w.reason})`),
  );
  if (soon.length) lines.push("", bold("waivers expiring soon"), ...soon);
  const notPaved = report.services.filter((r) => r.status === "not-paved");
  if (notPaved.length) lines.push("", bold("not on a golden path"), ...notPaved.map((r) => `  ${r.id}`));
  const unreadable = report.services.filter((r) => r.status === "unreadable");
  if (unreadable.length) lines.push("", bold("unreadable"), ...unreadable.map((r) => `  ${r.id}: ${r.reason}`));
  return lines.join("\n") + "\n";
}
