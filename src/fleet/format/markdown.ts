import type { FleetReport } from "../model.js";
import { days, doctorText, driftText, lagText, percent, summaryLines } from "./text.js";

/** A value in a table cell: no way to end the cell, start a link, emphasis, HTML or a code span. */
export function mdCell(value: string | number | null): string {
  if (value === null) return "–";
  return String(value)
    .replace(/[\r\n]+/g, " ")
    .replace(/[\\`*_[\]<>|#&!~]/g, (ch) => `\\${ch}`);
}

function table(head: string[], rows: (string | number | null)[][]): string[] {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => " --- ").join("|")}|`, ...rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`)];
}

/** For a wiki page or a GitHub step summary. */
export function formatMarkdown(report: FleetReport): string {
  const out = [`# Fleet report (as of ${report.options.asOf})`, "", `${report.summary.scanned} repositories scanned.`, ""];
  out.push(
    ...table(
      ["", ""],
      summaryLines(report).map(([k, v]) => [k, v]),
    ),
    "",
  );
  const paved = report.services.filter((r) => r.status === "paved");
  out.push(
    "## Services",
    "",
    ...table(
      ["service", "owner", "template", "version", "latest", "lag", "drift", "doctor"],
      paved.map((r) => [r.id, r.owner, r.template, r.version, r.lag?.latest ?? null, lagText(r), driftText(r), doctorText(r)]),
    ),
    "",
  );
  out.push(
    "## Checks",
    "",
    ...table(
      ["check", "pass", "fail", "waived", "skip", "pass rate"],
      report.checks.map((c) => [c.id, c.pass, c.fail, c.waived, c.skip, percent(c.passRate)]),
    ),
    "",
  );
  out.push(
    "## Versions",
    "",
    ...table(
      ["template", "source", "version", "services"],
      report.versions.map((v) => [v.template, v.source, v.version, v.services]),
    ),
    "",
  );
  out.push(
    "## Upgrade latency per release",
    "",
    ...table(
      ["template", "version", "released", "adopted", "latency"],
      report.releases.map((r) => [r.template, r.version, r.released, r.adopted, days(r.latencyDays)]),
    ),
    "",
  );
  out.push(
    "## Owners",
    "",
    ...table(
      ["owner", "services", "doctor pass", "doctor fail", "past grace", "drifted", "pass rate"],
      report.owners.map((o) => [o.owner, o.services, o.doctorPass, o.doctorFail, o.pastGrace, o.drifted, percent(o.passRate)]),
    ),
    "",
  );
  const waivers = report.services.flatMap((r) =>
    r.waivers.map((w) => [r.id, w.check, w.until, w.expired ? "expired" : w.expiresSoon ? "expires soon" : "", w.reason]),
  );
  if (waivers.length) out.push("## Waivers", "", ...table(["service", "check", "until", "", "reason"], waivers), "");
  const others = report.services.filter((r) => r.status !== "paved");
  if (others.length)
    out.push(
      "## Not on a golden path, or unreadable",
      "",
      ...table(
        ["repository", "status", "reason"],
        others.map((r) => [r.id, r.status, r.reason]),
      ),
      "",
    );
  return out.join("\n");
}
