import semver from "semver";
import { latestRelease, releasesAfter } from "../../templates/latest.js";
import { addDays } from "../../as-of.js";
import { SERVICE_FILE } from "../../service-file.js";
import { failed, NEEDS_TEMPLATE, passed, skipped, type Check } from "../context.js";
import { SERVICE_ANCHOR, type CheckInfo, type Severity } from "../model.js";
import { lineOfKey } from "../yaml-lines.js";

export const DEFAULT_GRACE_DAYS = 30;

export const versionLagInfo: CheckInfo = {
  id: "paved/version-lag",
  category: "paved",
  title: "the service is on the latest template version",
  severity: "error",
  help:
    "A major version behind is an error, a minor or patch version behind a warning, once the grace period " +
    "(default 30 days, `doctor.gracePeriodDays` in .paved.yml or --grace-days) has passed since the release of the oldest version not yet applied.",
};

export interface VersionLagInput {
  current: string;
  /** Every version in the source, any order. */
  versions: readonly string[];
  /** Release date (YYYY-MM-DD) of a version, when its manifest records one. */
  releasedOf: (version: string) => string | undefined;
  /** The day the lag is judged as of (YYYY-MM-DD). */
  asOf: string;
  graceDays: number;
}

export type VersionLag =
  | { behind: false; latest: string }
  | {
      behind: true;
      latest: string;
      kind: "major" | "minor";
      oldestUnapplied: string;
      released?: string;
      /** First day the lag counts (release + grace), when the release date is known. */
      deadline?: string;
      withinGrace: boolean;
    };

/** How far `current` is behind the latest release, and whether the grace period still covers it. */
export function findVersionLag(input: VersionLagInput): VersionLag {
  const latest = latestRelease(input.versions);
  const oldestUnapplied = releasesAfter(input.versions, input.current)[0];
  if (latest === undefined || oldestUnapplied === undefined) return { behind: false, latest: latest ?? input.current };
  const kind = semver.major(latest) > semver.major(input.current) ? "major" : "minor";
  const released = input.releasedOf(oldestUnapplied);
  if (!released) return { behind: true, latest, kind, oldestUnapplied, withinGrace: false };
  const deadline = addDays(released, input.graceDays);
  return { behind: true, latest, kind, oldestUnapplied, released, deadline, withinGrace: input.asOf < deadline };
}

export const versionLagCheck: Check = {
  info: versionLagInfo,
  async run(ctx) {
    if (!ctx.template) return [skipped(versionLagInfo, NEEDS_TEMPLATE)];
    const { source, versions } = ctx.template;
    const current = ctx.service.version;
    const releases = releasesAfter(versions, current);
    const dates = new Map<string, string | undefined>();
    if (releases[0]) {
      const oldest = await source.loadVersion(ctx.service.template, releases[0]);
      dates.set(releases[0], oldest.manifest.released);
    }
    const lag = findVersionLag({ current, versions, releasedOf: (v) => dates.get(v), asOf: ctx.asOf, graceDays: ctx.graceDays });
    const line = lineOfKey(ctx.files.text(SERVICE_FILE) ?? "", "version") ?? 1;
    const at = { file: SERVICE_ANCHOR, line };
    if (!lag.behind) return [passed(versionLagInfo, `on the latest version, ${current}`, at)];
    const upgrade = `run \`paved upgrade\` to move to ${lag.latest} (see \`paved templates show ${ctx.service.template}\` for the changelog)`;
    const what = `${current} is a ${lag.kind} version behind ${lag.latest}`;
    if (lag.withinGrace) {
      return [
        passed(
          versionLagInfo,
          `${what}; within the grace period until ${lag.deadline} (${lag.oldestUnapplied} was released ${lag.released})`,
          { ...at, fix: upgrade },
        ),
      ];
    }
    const severity: Severity = lag.kind === "major" ? "error" : "warning";
    const since = lag.released
      ? `${lag.oldestUnapplied} was released ${lag.released}; the ${ctx.graceDays}-day grace period ended ${lag.deadline}`
      : `${lag.oldestUnapplied} records no release date, so there is no grace period`;
    return [failed(versionLagInfo, { ...at, severity, message: `${what} (${since})`, fix: upgrade, key: `${current}->${lag.latest}` })];
  },
};
