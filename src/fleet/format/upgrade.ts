import type { FleetUpgradeRow } from "../upgrade.js";
import { mdCell } from "./markdown.js";

function describe(row: FleetUpgradeRow, push: boolean): string {
  const version =
    row.to && row.from !== row.to
      ? `${row.template} ${row.from} -> ${row.to}`
      : row.template
        ? `${row.template} ${row.to ?? row.from}`
        : "";
  const parts = [version];
  if (row.branch && row.status !== "skipped")
    parts.push(`branch ${row.branch}${row.pushed ? " pushed" : row.wouldPush && !push ? " (dry run: would push)" : ""}`);
  if (row.status === "conflicts") parts.push(`needs a person: ${row.conflicts.join(", ")}`);
  if (row.status === "verify-failed") parts.push(`verify failed: ${row.verify?.failure ?? ""}`);
  if (row.reason) parts.push(row.reason);
  if (row.pullRequest) parts.push(row.pullRequest);
  return parts.filter(Boolean).join("; ");
}

export function formatUpgradeReport(
  rows: readonly FleetUpgradeRow[],
  format: "human" | "json" | "markdown",
  options: { push: boolean },
): string {
  if (format === "json") return JSON.stringify({ dryRun: !options.push, targets: rows }, null, 2) + "\n";
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(", ") || "no targets";
  if (format === "markdown") {
    return [
      `## paved fleet upgrade${options.push ? "" : " (dry run)"}`,
      "",
      summary,
      "",
      "| target | status | details |",
      "| --- | --- | --- |",
      ...rows.map((r) => `| ${mdCell(r.id)} | ${r.status} | ${mdCell(describe(r, options.push))} |`),
      "",
    ].join("\n");
  }
  const width = Math.max(0, ...rows.map((r) => r.id.length));
  return [
    ...rows.map((r) => `${r.id.padEnd(width)}  ${r.status.padEnd(13)}  ${describe(r, options.push)}`),
    "",
    `${summary}${options.push ? "" : " (dry run: nothing pushed; pass --push)"}`,
    "",
  ].join("\n");
}
