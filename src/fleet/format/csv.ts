import type { FleetReport } from "../model.js";

/**
 * RFC 4180 quoting; a cell that a spreadsheet would read as a formula (=, +, -, @, tab, CR) gets a leading
 * apostrophe, so a repository path or waiver reason cannot run in the platform team's spreadsheet.
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const COLUMNS = [
  "id",
  "status",
  "reason",
  "name",
  "owner",
  "template",
  "source",
  "version",
  "latest",
  "behind",
  "lag_major",
  "lag_minor",
  "lag_patch",
  "lag_days",
  "past_grace",
  "doctor",
  "passed",
  "errors",
  "warnings",
  "waived",
  "failing_checks",
  "managed_drift",
  "changed_files",
  "rendered_files",
  "waivers",
  "waivers_expiring",
  "created",
  "upgrades",
  "first_deploy",
  "days_to_first_deploy",
  "sticky",
] as const;

/** One row a repository, for spreadsheets. */
export function formatCsv(report: FleetReport): string {
  const lines = [COLUMNS.join(",")];
  for (const r of report.services) {
    const values: (string | number | boolean | null)[] = [
      r.id,
      r.status,
      r.reason,
      r.name,
      r.owner,
      r.template,
      r.source,
      r.version,
      r.lag?.latest ?? null,
      r.lag?.behind ?? null,
      r.lag?.major ?? null,
      r.lag?.minor ?? null,
      r.lag?.patch ?? null,
      r.lag?.days ?? null,
      r.lag?.pastGrace ?? null,
      r.doctor?.result ?? null,
      r.doctor?.passed ?? null,
      r.doctor?.errors ?? null,
      r.doctor?.warnings ?? null,
      r.doctor?.waived ?? null,
      r.doctor ? r.doctor.failing.join(" ") : null,
      r.drift?.managedFiles ?? null,
      r.drift?.changedFiles ?? null,
      r.drift?.renderedFiles ?? null,
      r.waivers.length,
      r.waivers.filter((w) => w.expiresSoon).length,
      r.history?.created ?? null,
      r.history ? r.history.upgrades.length : null,
      r.history?.firstDeploy ?? null,
      r.history?.daysToFirstDeploy ?? null,
      r.history?.sticky ?? null,
    ];
    lines.push(values.map(csvCell).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}
