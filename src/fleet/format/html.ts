import type { FleetReport } from "../model.js";
import { days, doctorText, driftText, lagText, percent, summaryLines } from "./text.js";

/** Every value from a report goes through this: repository names, reasons and waiver texts are outside input. */
export function escapeHtml(value: string | number | boolean | null): string {
  if (value === null) return "–";
  return String(value).replace(/[&<>"'`]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

interface Bar {
  label: string;
  value: number;
  color: string;
}

/** A horizontal bar chart as inline SVG (no script, no font, no external reference). */
function barChart(
  title: string,
  bars: readonly Bar[],
  format: (n: number) => string = String,
  max = Math.max(1, ...bars.map((b) => b.value)),
): string {
  const rowHeight = 26;
  const labelWidth = 230;
  const barWidth = 360;
  const height = bars.length * rowHeight + 34;
  const rows = bars
    .map((b, i) => {
      const y = 30 + i * rowHeight;
      const w = Math.max(b.value > 0 ? 2 : 0, Math.round((b.value / max) * barWidth));
      return (
        `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeHtml(b.label)}</text>` +
        `<rect x="${labelWidth}" y="${y + 2}" width="${w}" height="${rowHeight - 8}" fill="${b.color}"><title>${escapeHtml(b.label)}: ${escapeHtml(format(b.value))}</title></rect>` +
        `<text x="${labelWidth + w + 6}" y="${y + 15}">${escapeHtml(format(b.value))}</text>`
      );
    })
    .join("");
  return `<figure><svg role="img" aria-label="${escapeHtml(title)}" width="${labelWidth + barWidth + 80}" height="${height}" viewBox="0 0 ${labelWidth + barWidth + 80} ${height}" xmlns="http://www.w3.org/2000/svg"><text x="0" y="16" class="t">${escapeHtml(title)}</text>${rows}</svg></figure>`;
}

function table(head: string[], rows: (string | number | boolean | null)[][], className = ""): string {
  return `<table${className ? ` class="${className}"` : ""}><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

const GREEN = "#2e7d32";
const AMBER = "#f9a825";
const RED = "#c62828";
const BLUE = "#1565c0";
const GREY = "#9e9e9e";

const STYLE = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1a1a1a;background:#fff}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.kpi{display:flex;flex-wrap:wrap;gap:12px}.kpi div{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:140px}
.kpi b{display:block;font-size:24px}figure{margin:8px 0}svg text{font:12px system-ui,sans-serif;fill:#1a1a1a}svg .t{font-weight:600}`;

/** One self-contained page built from the report object: tables and inline SVG charts, no script, no network. */
export function formatHtml(report: FleetReport): string {
  const s = report.summary;
  const kpis: [string, string][] = [
    ["repositories scanned", String(s.scanned)],
    ["adoption", `${s.paved}/${s.paved + s.notPaved} (${percent(s.adoptionRate)})`],
    ["doctor pass rate", percent(s.doctor.passRate)],
    ["past the grace period", String(s.lag.pastGrace)],
    ["drifted services", String(s.drift.services)],
    ["waivers expiring soon", String(s.waivers.expiringSoon)],
    ["first deploy (median days)", s.timeToFirstDeploy.median === null ? "–" : String(s.timeToFirstDeploy.median)],
    ["stickiness", percent(s.stickiness.rate)],
  ];
  const paved = report.services.filter((r) => r.status === "paved");
  const others = report.services.filter((r) => r.status !== "paved");
  const body = [
    `<h1>Fleet report as of ${escapeHtml(report.options.asOf)}</h1>`,
    `<section class="kpi">${kpis.map(([label, value]) => `<div data-kpi="${escapeHtml(label)}"><b>${escapeHtml(value)}</b>${escapeHtml(label)}</div>`).join("")}</section>`,
    `<h2>Summary</h2>`,
    table(["", ""], summaryLines(report)),
    `<h2>Charts</h2>`,
    barChart("Services by status", [
      { label: "on a golden path", value: s.paved, color: GREEN },
      { label: "not on a golden path", value: s.notPaved, color: GREY },
      { label: "unreadable", value: s.unreadable, color: RED },
    ]),
    barChart("Doctor results", [
      { label: "pass", value: s.doctor.pass, color: GREEN },
      { label: "warn", value: s.doctor.warn, color: AMBER },
      { label: "fail", value: s.doctor.fail, color: RED },
    ]),
    barChart("Version lag", [
      { label: "current", value: s.lag.current, color: GREEN },
      { label: "behind, within grace", value: s.lag.withinGrace, color: AMBER },
      { label: "behind, past grace", value: s.lag.pastGrace, color: RED },
    ]),
    barChart(
      "Services per version",
      report.versions.map((v) => ({ label: `${v.template} ${v.version}`, value: v.services, color: BLUE })),
    ),
    barChart(
      "Pass rate per check",
      report.checks.flatMap((c) =>
        c.passRate === null ? [] : [{ label: c.id, value: c.passRate, color: c.passRate === 1 ? GREEN : c.passRate >= 0.5 ? AMBER : RED }],
      ),
      (n) => percent(n),
      1,
    ),
    `<h2>Services</h2>`,
    table(
      ["service", "owner", "template", "version", "latest", "lag", "drift", "doctor"],
      paved.map((r) => [r.id, r.owner, r.template, r.version, r.lag?.latest ?? null, lagText(r), driftText(r), doctorText(r)]),
      "services",
    ),
    `<h2>Checks</h2>`,
    table(
      ["check", "pass", "fail", "waived", "skip", "pass rate"],
      report.checks.map((c) => [c.id, c.pass, c.fail, c.waived, c.skip, percent(c.passRate)]),
    ),
    `<h2>Upgrade latency per release</h2>`,
    table(
      ["template", "source", "version", "released", "adopted", "latency"],
      report.releases.map((r) => [r.template, r.source, r.version, r.released, r.adopted, days(r.latencyDays)]),
    ),
    `<h2>Owners</h2>`,
    table(
      ["owner", "services", "doctor pass", "doctor fail", "past grace", "drifted", "pass rate"],
      report.owners.map((o) => [o.owner, o.services, o.doctorPass, o.doctorFail, o.pastGrace, o.drifted, percent(o.passRate)]),
    ),
    `<h2>Waivers</h2>`,
    table(
      ["service", "check", "until", "state", "reason"],
      paved.flatMap((r) =>
        r.waivers.map((w) => [r.id, w.check, w.until, w.expired ? "expired" : w.expiresSoon ? "expires soon" : "current", w.reason]),
      ),
    ),
    `<h2>Not on a golden path, or unreadable</h2>`,
    table(
      ["repository", "status", "reason"],
      others.map((r) => [r.id, r.status, r.reason]),
    ),
    `<p><small>paved ${escapeHtml(report.pavedVersion)}, report format ${escapeHtml(report.version)}</small></p>`,
  ].join("\n");
  // The CSP forbids every fetch, script and font even if a value ever slipped past escaping.
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fleet report as of ${escapeHtml(report.options.asOf)}</title>
<style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}
