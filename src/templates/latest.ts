import semver from "semver";

export interface LatestOptions {
  /** Let pre-releases count (`--prerelease`); by default only releases do. */
  prerelease?: boolean;
}

/**
 * The one answer to "which version is the latest": the newest valid version by semver, whatever order the list
 * is in, or undefined when there is none. Pre-releases count only with `prerelease`. Versions that differ only in
 * build metadata rank by it (semver.compareBuild), so the answer never depends on the list's order.
 */
export function latestVersion(versions: readonly string[], options: LatestOptions = {}): string | undefined {
  let latest: string | undefined;
  for (const v of versions) {
    if (!semver.valid(v) || (!options.prerelease && semver.prerelease(v) !== null)) continue;
    if (latest === undefined || semver.compareBuild(v, latest) > 0) latest = v;
  }
  return latest;
}

/**
 * The newest release (pre-releases never count). `paved upgrade`'s default target, `paved doctor`'s "latest",
 * version lag, fleet lag and the authoring previews all mean this.
 */
export function latestRelease(versions: readonly string[]): string | undefined {
  return latestVersion(versions);
}

/** Where a service on `current` goes by default: the latest release when it is newer, else `current` (paved never downgrades, not even from a pre-release). */
export function latestFor(versions: readonly string[], current: string): string {
  const latest = latestRelease(versions);
  return latest !== undefined && semver.gt(latest, current) ? latest : current;
}

/** The releases newer than `current`, oldest first (the order latestVersion ranks them in). */
export function releasesAfter(versions: readonly string[], current: string): string[] {
  return versions.filter((v) => semver.valid(v) && semver.prerelease(v) === null && semver.gt(v, current)).sort(semver.compareBuild);
}
