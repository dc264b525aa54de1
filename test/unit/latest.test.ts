import { describe, expect, it } from "vitest";
import { findVersionLag } from "../../src/doctor/checks/version-lag.js";
import { lagOf } from "../../src/fleet/evaluate.js";
import { latestFor, latestRelease, latestVersion, releasesAfter } from "../../src/templates/latest.js";

describe("the one latest version (upgrade's default target, doctor's latest)", () => {
  it("is the newest release by semver, whatever the order, never a pre-release", () => {
    expect(latestRelease(["1.9.0", "1.10.0", "1.2.0"])).toBe("1.10.0");
    expect(latestRelease(["1.0.0", "2.0.0-rc.1"])).toBe("1.0.0");
    expect(latestRelease(["2.0.0-rc.1"])).toBeUndefined();
    expect(latestRelease([])).toBeUndefined();
  });

  it("never moves a service backwards, not even off a pre-release newer than every release", () => {
    expect(latestFor(["1.0.0", "1.1.0"], "1.0.0")).toBe("1.1.0");
    expect(latestFor(["1.0.0", "1.1.0", "2.0.0-rc.1"], "2.0.0-rc.1")).toBe("2.0.0-rc.1");
    expect(latestFor(["1.0.0", "2.0.0-rc.1", "2.0.0"], "2.0.0-rc.1")).toBe("2.0.0");
  });

  // Build metadata does not order versions in semver, so a list with 1.0.0+a and 1.0.0+b had as many answers as
  // there were orders: the first seen (upgrade, doctor) or the last after a stable sort (version lag, fleet).
  it("ranks versions that differ only in build metadata by it, so the list's order never matters", () => {
    for (const list of [
      ["1.0.0+build.2", "1.0.0+build.1", "0.9.0"],
      ["0.9.0", "1.0.0+build.1", "1.0.0+build.2"],
    ]) {
      expect(latestRelease(list)).toBe("1.0.0+build.2");
      const lag = findVersionLag({ current: "0.9.0", versions: list, releasedOf: () => undefined, asOf: "2026-01-01", graceDays: 0 });
      expect(lag.latest).toBe("1.0.0+build.2");
      expect(lag.behind && lag.oldestUnapplied).toBe("1.0.0+build.1");
      expect(lagOf("0.9.0", Object.fromEntries(list.map((v) => [v, null])), undefined, "2026-01-01", 0)?.latest).toBe("1.0.0+build.2");
    }
  });

  it("counts pre-releases only when asked (--prerelease), and ignores what is not a version", () => {
    expect(latestVersion(["1.0.0", "2.0.0-rc.1", "nightly"], { prerelease: true })).toBe("2.0.0-rc.1");
    expect(latestVersion(["1.0.0", "2.0.0-rc.1", "nightly"])).toBe("1.0.0");
    expect(latestVersion(["2.0.0-rc.2", "2.0.0-rc.10", "2.0.0-rc.1"], { prerelease: true })).toBe("2.0.0-rc.10");
    expect(latestVersion(["2.0.0", "2.0.0-rc.1"], { prerelease: true })).toBe("2.0.0");
  });

  it("lists the releases after a version oldest first, never a pre-release", () => {
    expect(releasesAfter(["1.10.0", "2.0.0-rc.1", "1.9.0", "1.0.0"], "1.0.0")).toEqual(["1.9.0", "1.10.0"]);
    expect(releasesAfter(["1.0.0"], "1.0.0")).toEqual([]);
  });
});
