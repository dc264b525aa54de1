import { describe, expect, it } from "vitest";
import { latestFor, latestRelease } from "../../src/templates/latest.js";

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
});
