import semver from "semver";
import { FLEET_REPORT_VERSION, type FleetOptions, type FleetReport, type ServiceRow } from "./model.js";
import { daysBetween, distribution, ratio } from "./stats.js";

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A row that names its template, source and version, as every paved row paved makes does. The schema a merged
 * report is read with allows null there, and such a row has no version to be counted under.
 */
type IdentifiedRow = ServiceRow & { template: string; source: string; version: string };

function isIdentified(row: ServiceRow): row is IdentifiedRow {
  return row.template !== null && row.source !== null && row.version !== null;
}

/** The JSON `$schema` a report points at (the file ships in the package's schema/). */
export const FLEET_SCHEMA_ID = "https://github.com/paved-dev/paved/blob/main/schema/fleet-report.schema.json";

/**
 * The whole report from its rows: every roll-up is computed here and only here, from the rows alone, so a
 * merge of shards (or of doctor artifacts) gives exactly what one run over the same repositories gives.
 */
export function buildReport(rows: readonly ServiceRow[], options: FleetOptions, pavedVersion: string): FleetReport {
  const services = [...rows].sort((a, b) => byString(a.id, b.id));
  const paved = services.filter((r) => r.status === "paved");
  const identified = paved.filter(isIdentified);
  const notPaved = services.filter((r) => r.status === "not-paved").length;
  const doctored = paved.flatMap((r) => (r.doctor ? [r.doctor] : []));
  const lagged = paved.flatMap((r) => (r.lag ? [r.lag] : []));
  const drifted = paved.filter((r) => (r.drift?.managedFiles ?? 0) > 0 || (r.drift?.changedFiles ?? 0) > 0);
  const waivers = paved.flatMap((r) => r.waivers);
  const stickyKnown = paved.flatMap((r) => (typeof r.history?.sticky === "boolean" ? [r.history.sticky] : []));
  const firstDeployDays = paved.flatMap((r) => (typeof r.history?.daysToFirstDeploy === "number" ? [r.history.daysToFirstDeploy] : []));
  const countResult = (result: string) => doctored.filter((d) => d.result === result).length;

  return {
    $schema: FLEET_SCHEMA_ID,
    version: FLEET_REPORT_VERSION,
    pavedVersion,
    options,
    summary: {
      scanned: services.length,
      paved: paved.length,
      notPaved,
      unreadable: services.filter((r) => r.status === "unreadable").length,
      adoptionRate: ratio(paved.length, paved.length + notPaved),
      doctor: {
        pass: countResult("pass"),
        warn: countResult("warn"),
        fail: countResult("fail"),
        passRate: ratio(doctored.length - countResult("fail"), doctored.length),
      },
      lag: {
        current: lagged.filter((lag) => !lag.behind).length,
        behind: lagged.filter((lag) => lag.behind).length,
        withinGrace: lagged.filter((lag) => lag.behind && !lag.pastGrace).length,
        pastGrace: lagged.filter((lag) => lag.pastGrace).length,
        totalDays: lagged.reduce((n, lag) => n + (lag.days ?? 0), 0),
      },
      drift: {
        services: drifted.length,
        managedFiles: paved.reduce((n, r) => n + (r.drift?.managedFiles ?? 0), 0),
        changedFiles: paved.reduce((n, r) => n + (r.drift?.changedFiles ?? 0), 0),
      },
      waivers: {
        total: waivers.length,
        expired: waivers.filter((w) => w.expired).length,
        expiringSoon: waivers.filter((w) => w.expiresSoon).length,
      },
      timeToFirstDeploy: distribution(firstDeployDays),
      stickiness: {
        eligible: stickyKnown.length,
        sticky: stickyKnown.filter(Boolean).length,
        rate: ratio(stickyKnown.filter(Boolean).length, stickyKnown.length),
      },
    },
    checks: checkRollup(doctored),
    versions: versionRollup(identified),
    releases: releaseRollup(identified),
    owners: ownerRollup(paved),
    services,
  };
}

function checkRollup(doctored: ReadonlyArray<NonNullable<ServiceRow["doctor"]>>): FleetReport["checks"] {
  const byCheck = new Map<string, { pass: number; fail: number; waived: number; skip: number }>();
  for (const doctor of doctored) {
    for (const [id, outcome] of Object.entries(doctor.checks)) {
      const counts = byCheck.get(id) ?? { pass: 0, fail: 0, waived: 0, skip: 0 };
      counts[outcome]++;
      byCheck.set(id, counts);
    }
  }
  return [...byCheck.entries()]
    .sort(([a], [b]) => byString(a, b))
    .map(([id, c]) => ({ id, ...c, passRate: ratio(c.pass, c.pass + c.fail + c.waived) }));
}

function versionRollup(rows: readonly IdentifiedRow[]): FleetReport["versions"] {
  const counts = new Map<string, { template: string; source: string; version: string; services: number }>();
  for (const row of rows) {
    const key = `${row.template}\0${row.source}\0${row.version}`;
    const entry = counts.get(key) ?? { template: row.template, source: row.source, version: row.version, services: 0 };
    entry.services++;
    counts.set(key, entry);
  }
  return [...counts.values()].sort(
    (a, b) => byString(a.template, b.template) || byString(a.source, b.source) || compareVersions(a.version, b.version),
  );
}

function compareVersions(a: string, b: string): number {
  return semver.valid(a) && semver.valid(b) ? semver.compare(a, b) : byString(a, b);
}

/** Per release: how many services took it by an upgrade, and how many days after its release (each service once). */
function releaseRollup(rows: readonly IdentifiedRow[]): FleetReport["releases"] {
  const groups = new Map<
    string,
    { template: string; source: string; releases: Map<string, string | null>; latency: Map<string, number[]>; adopted: Map<string, number> }
  >();
  for (const row of rows) {
    const key = `${row.template}\0${row.source}`;
    let group = groups.get(key);
    if (!group) {
      group = { template: row.template, source: row.source, releases: new Map(), latency: new Map(), adopted: new Map() };
      groups.set(key, group);
    }
    for (const [version, date] of Object.entries(row.releases)) if (!group.releases.get(version)) group.releases.set(version, date);
    const taken = new Set<string>();
    for (const upgrade of row.history?.upgrades ?? []) {
      for (const [version, released] of Object.entries(row.releases)) {
        if (taken.has(version) || !semver.valid(version) || !semver.gt(version, upgrade.from) || !semver.lte(version, upgrade.to)) continue;
        taken.add(version);
        group.adopted.set(version, (group.adopted.get(version) ?? 0) + 1);
        if (released) group.latency.set(version, [...(group.latency.get(version) ?? []), Math.max(0, daysBetween(released, upgrade.date))]);
      }
    }
  }
  const out: FleetReport["releases"] = [];
  for (const group of [...groups.values()].sort((a, b) => byString(a.template, b.template) || byString(a.source, b.source))) {
    for (const version of [...group.releases.keys()].sort(compareVersions)) {
      out.push({
        template: group.template,
        source: group.source,
        version,
        released: group.releases.get(version) ?? null,
        adopted: group.adopted.get(version) ?? 0,
        latencyDays: distribution(group.latency.get(version) ?? []),
      });
    }
  }
  return out;
}

export const NO_OWNER = "(no owner)";

function ownerRollup(rows: readonly ServiceRow[]): FleetReport["owners"] {
  const owners = new Map<string, ServiceRow[]>();
  for (const row of rows) owners.set(row.owner ?? NO_OWNER, [...(owners.get(row.owner ?? NO_OWNER) ?? []), row]);
  return [...owners.entries()]
    .sort(([a], [b]) => byString(a, b))
    .map(([owner, list]) => {
      const doctored = list.flatMap((r) => (r.doctor ? [r.doctor] : []));
      const doctorFail = doctored.filter((d) => d.result === "fail").length;
      return {
        owner,
        services: list.length,
        doctorPass: doctored.length - doctorFail,
        doctorFail,
        pastGrace: list.filter((r) => r.lag?.pastGrace).length,
        drifted: list.filter((r) => (r.drift?.managedFiles ?? 0) > 0 || (r.drift?.changedFiles ?? 0) > 0).length,
        passRate: ratio(doctored.length - doctorFail, doctored.length),
      };
    });
}
