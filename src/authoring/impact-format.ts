import type { ChalkInstance } from "chalk";
import { mdCell } from "../fleet/format/markdown.js";
import { escapeControlChars } from "../terminal-text.js";
import type { ImpactReport, ImpactRow } from "./impact.js";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function conflictText(row: ImpactRow): string {
  return row.conflicts.map((c) => (c.kind === "binary" ? `${c.path} (binary)` : `${c.path} (${plural(c.regions, "region")})`)).join(", ");
}

function migrationText(row: ImpactRow): string {
  // "applied" is what the plan does; anything else (kept, skipped, a command planned) is worth a word.
  return row.migrations.map((m) => `${m.version} ${m.step}${m.status === "applied" ? "" : ` (${m.status})`}`).join(", ");
}

export function totalsLine(report: ImpactReport): string {
  const t = report.totals;
  const parts = [`${t.clean} would upgrade cleanly`, `${t.conflicts} with conflicts`, `${t.current} already current`];
  if (t.blocked) parts.push(`${t.blocked} blocked`);
  parts.push(`${t.unreadable} unreadable`);
  if (t.otherTemplate) parts.push(`${t.otherTemplate} on another template (skipped)`);
  if (t.notPaved) parts.push(`${t.notPaved} not paved`);
  if (t.withKept) parts.push(`${t.withKept} with kept files to move`);
  return parts.join(", ");
}

function rowDetail(row: ImpactRow): string {
  switch (row.status) {
    case "clean":
      return `${row.from} -> ${row.steps.at(-1)}: ${plural(row.changes, "file")} change`;
    case "conflicts":
      return `${row.from} -> ${row.steps.at(-1)}: stops at ${row.stopsAt}; ${conflictText(row)}`;
    case "current":
      return row.reason ?? `on ${row.from}`;
    default:
      return row.reason ?? "";
  }
}

export function formatImpactHuman(report: ImpactReport, c: ChalkInstance): string {
  const pad = (word: string) => word.padEnd(10);
  const mark: Record<ImpactRow["status"], string> = {
    clean: c.green(pad("clean")),
    conflicts: c.red(pad("conflicts")),
    current: c.dim(pad("current")),
    blocked: c.yellow(pad("blocked")),
    unreadable: c.yellow(pad("unreadable")),
    "other-template": c.dim(pad("skipped")),
    "not-paved": c.dim(pad("not-paved")),
  };
  const width = Math.max(0, ...report.services.map((r) => r.id.length));
  const lines = [
    `${report.template} -> ${report.to}: impact on ${report.services.length} ${report.services.length === 1 ? "repository" : "repositories"}`,
  ];
  for (const row of report.services) {
    lines.push(`  ${escapeControlChars(row.id).padEnd(width)}  ${mark[row.status]}  ${escapeControlChars(rowDetail(row))}`);
    if (row.migrations.length) lines.push(`  ${"".padEnd(width)}    migrations: ${escapeControlChars(migrationText(row))}`);
    for (const k of row.kept)
      lines.push(`  ${"".padEnd(width)}    kept: ${escapeControlChars(k.path)} (the template deletes it; the team edited it)`);
  }
  if (report.conflictFiles.length) {
    lines.push("", "Files that conflict:");
    for (const f of report.conflictFiles)
      lines.push(`  ${escapeControlChars(f.path)}: ${plural(f.services, "service")}, ${plural(f.regions, "region")}`);
  }
  lines.push("", totalsLine(report));
  return lines.join("\n") + "\n";
}

function table(head: string[], rows: (string | number | null)[][]): string[] {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => " --- ").join("|")}|`, ...rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`)];
}

/** For a release pull request's description. */
export function formatImpactMarkdown(report: ImpactReport): string {
  const t = report.totals;
  const out = [`## Fleet impact of ${mdCell(report.template)} ${mdCell(report.to)}`, ""];
  out.push(
    ...table(
      ["", "services"],
      [
        ["would upgrade cleanly", t.clean],
        ["with conflicts", t.conflicts],
        ["already current", t.current],
        ["blocked", t.blocked],
        ["unreadable", t.unreadable],
        ["on another template (skipped)", t.otherTemplate],
        ["with kept files to move", t.withKept],
      ],
    ),
    "",
  );
  if (report.conflictFiles.length)
    out.push(
      "### Files that conflict",
      "",
      ...table(
        ["file", "services", "regions"],
        report.conflictFiles.map((f) => [f.path, f.services, f.regions]),
      ),
      "",
    );
  const planned = report.services.filter((r) => r.status === "clean" || r.status === "conflicts");
  if (planned.length) {
    out.push(
      "### Services",
      "",
      ...table(
        ["service", "from", "result", "conflicts", "migrations", "kept files"],
        planned.map((r) => [
          r.id,
          r.from,
          r.status === "clean" ? `clean (${plural(r.changes, "file")})` : `stops at ${r.stopsAt}`,
          conflictText(r) || null,
          migrationText(r) || null,
          r.kept.map((k) => k.path).join(", ") || null,
        ]),
      ),
      "",
    );
  }
  const others = report.services.filter((r) => r.status === "blocked" || r.status === "unreadable");
  if (others.length)
    out.push(
      "### Blocked or unreadable",
      "",
      ...table(
        ["repository", "status", "reason"],
        others.map((r) => [r.id, r.status, r.reason]),
      ),
      "",
    );
  return out.join("\n");
}
