import semver from "semver";

/**
 * The one answer to "which version is the latest": the newest release (pre-releases never count, whatever order
 * the list is in), or undefined when there is none. `paved upgrade`'s default target, `paved doctor`'s "latest"
 * and version lag all mean this.
 */
export function latestRelease(versions: readonly string[]): string | undefined {
  let latest: string | undefined;
  for (const v of versions) {
    if (semver.valid(v) && semver.prerelease(v) === null && (latest === undefined || semver.gt(v, latest))) latest = v;
  }
  return latest;
}

/** Where a service on `current` goes by default: the latest release when it is newer, else `current` (paved never downgrades, not even from a pre-release). */
export function latestFor(versions: readonly string[], current: string): string {
  const latest = latestRelease(versions);
  return latest !== undefined && semver.gt(latest, current) ? latest : current;
}
