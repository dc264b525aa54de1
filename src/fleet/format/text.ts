import type { Distribution, FleetReport, ServiceRow } from "../model.js";

/** Shared wording of every format: they all read the report object, never the repositories. */
export function percent(rate: number | null): string {
  return rate === null ? "–" : `${(rate * 100).toFixed(1)}%`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export function days(d: Distribution): string {
  return d.count === 0 ? "–" : `median ${d.median} d, p90 ${d.p90} d (${plural(d.count, "service")})`;
}

export function lagText(row: ServiceRow): string {
  const lag = row.lag;
  if (!lag) return "–";
  if (!lag.behind) return "current";
  const parts = [lag.major ? `${lag.major} major` : lag.minor ? `${lag.minor} minor` : `${lag.patch} patch`];
  if (lag.days !== null) parts.push(`${lag.days} d`);
  parts.push(lag.pastGrace ? "past grace" : "in grace");
  return parts.join(", ");
}

export function doctorText(row: ServiceRow): string {
  if (!row.doctor) return "–";
  const d = row.doctor;
  return d.failing.length ? `${d.result}: ${d.failing.join(", ")}` : d.result;
}

export function driftText(row: ServiceRow): string {
  const d = row.drift;
  if (!d) return "–";
  const changed = d.changedFiles === null ? "?" : `${d.changedFiles}/${d.renderedFiles}`;
  return `${d.managedFiles} managed, ${changed} files`;
}

/** The summary lines every human-facing format starts with. */
export function summaryLines(report: FleetReport): [string, string][] {
  const s = report.summary;
  return [
    [
      "adoption",
      `${s.paved} of ${s.paved + s.notPaved} repositories on a golden path (${percent(s.adoptionRate)}); ${s.unreadable} unreadable`,
    ],
    ["doctor", `${s.doctor.pass} pass, ${s.doctor.warn} warn, ${s.doctor.fail} fail (${percent(s.doctor.passRate)} pass)`],
    [
      "lag",
      `${s.lag.current} current, ${s.lag.withinGrace} behind within the grace period, ${s.lag.pastGrace} past it (${s.lag.totalDays} days behind in total)`,
    ],
    [
      "drift",
      `${plural(s.drift.services, "service")} drifted: ${plural(s.drift.managedFiles, "managed file")}, ${plural(s.drift.changedFiles, "file")} differ from a fresh render`,
    ],
    [
      "waivers",
      `${s.waivers.total} (${s.waivers.expiringSoon} expiring within ${report.options.waiverWarningDays} days, ${s.waivers.expired} expired)`,
    ],
    ["first deploy", days(s.timeToFirstDeploy)],
    [
      "stickiness",
      `${s.stickiness.sticky} of ${s.stickiness.eligible} on a supported version ${report.options.stickinessDays} days after creation (${percent(s.stickiness.rate)})`,
    ],
  ];
}
