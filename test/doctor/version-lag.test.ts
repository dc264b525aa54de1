import { describe, expect, it } from "vitest";
import { addDays, isCalendarDate, todayUtc } from "../../src/as-of.js";
import { findVersionLag } from "../../src/doctor/checks/version-lag.js";
import { makeService, only, svcVersion, TODAY } from "./fixtures.js";

const RELEASED: Record<string, string> = { "1.0.0": "2026-01-10", "1.1.0": "2026-10-01", "1.2.0": "2026-11-01", "2.0.0": "2026-11-15" };
const lag = (current: string, versions: string[], asOf: string, graceDays = 30) =>
  findVersionLag({ current, versions, releasedOf: (v) => RELEASED[v], asOf, graceDays });

describe("the as-of day", () => {
  it("is a real calendar day as YYYY-MM-DD; today is the UTC date", () => {
    for (const day of ["2026-12-01", "2028-02-29", "2000-02-29", "1999-12-31"]) expect(isCalendarDate(day), day).toBe(true);
    for (const day of [
      "2026-02-29",
      "1900-02-29",
      "2026-04-31",
      "2026-00-10",
      "2026-1-05",
      "20261201",
      "2026-12-01T00:00:00Z",
      " 2026-12-01",
      "",
    ])
      expect(isCalendarDate(day), day).toBe(false);
    expect(todayUtc(new Date("2026-12-01T23:30:00-05:00"))).toBe("2026-12-02");
  });
});

describe("findVersionLag", () => {
  it("is not behind on the latest release, and ignores pre-releases", () => {
    expect(lag("1.2.0", ["1.0.0", "1.1.0", "1.2.0", "2.0.0-rc.1"], "2027-01-01")).toEqual({ behind: false, latest: "1.2.0" });
  });

  it("counts the grace period from the oldest version not yet applied", () => {
    const result = lag("1.0.0", ["1.0.0", "1.1.0", "1.2.0"], "2026-10-30");
    expect(result).toMatchObject({
      behind: true,
      kind: "minor",
      latest: "1.2.0",
      oldestUnapplied: "1.1.0",
      released: "2026-10-01",
      deadline: "2026-10-31",
      withinGrace: true,
    });
    expect(lag("1.0.0", ["1.0.0", "1.1.0", "1.2.0"], "2026-10-31")).toMatchObject({ withinGrace: false });
    expect(lag("1.1.0", ["1.0.0", "1.1.0", "1.2.0"], "2026-11-20")).toMatchObject({ oldestUnapplied: "1.2.0", withinGrace: true });
  });

  it("is a major lag when the latest has a higher major", () => {
    expect(lag("1.2.0", ["1.2.0", "2.0.0"], "2026-12-31")).toMatchObject({ kind: "major", withinGrace: false });
    expect(lag("1.2.0", ["1.2.0", "2.0.0"], "2026-12-14")).toMatchObject({ kind: "major", withinGrace: true });
  });

  it("has no grace period without a release date, and a configurable one", () => {
    expect(
      findVersionLag({ current: "1.0.0", versions: ["1.0.0", "1.1.0"], releasedOf: () => undefined, asOf: "2026-01-01", graceDays: 30 }),
    ).toMatchObject({ withinGrace: false });
    expect(lag("1.0.0", ["1.0.0", "1.1.0"], "2026-10-05", 0)).toMatchObject({ withinGrace: false });
    expect(lag("1.0.0", ["1.0.0", "1.1.0"], "2026-12-05", 90)).toMatchObject({ withinGrace: true });
  });

  it("adds days across months and years", () => {
    expect(addDays("2026-12-15", 30)).toBe("2027-01-14");
    expect(addDays("2028-02-28", 1)).toBe("2028-02-29");
  });
});

describe("paved/version-lag", () => {
  const versions = (latest: string, released: string) => ({ "1.0.0": svcVersion(), [latest]: svcVersion({ manifest: { released } }) });

  it("passes on the latest version", async () => {
    const svc = await makeService();
    expect(only(await svc.run(), "paved/version-lag")).toMatchObject({ status: "pass", message: "on the latest version, 1.0.0" });
  });

  it("warns a minor version behind after the grace period, pointing at version: in .paved.yml", async () => {
    const svc = await makeService({ versions: versions("1.1.0", "2026-09-01"), version: "1.0.0" });
    const f = only(await svc.run(), "paved/version-lag");
    expect(f).toMatchObject({ status: "fail", severity: "warning", file: ".paved.yml", line: 5 });
    expect(f.message).toContain("1.0.0 is a minor version behind 1.1.0");
    expect(f.fix).toContain("paved upgrade");
  });

  it("is an error a major version behind, and passes inside the grace period", async () => {
    const svc = await makeService({ versions: versions("2.0.0", "2026-11-01"), version: "1.0.0" });
    expect(only(await svc.run(), "paved/version-lag")).toMatchObject({ status: "pass" });
    expect(only(await svc.run({ asOf: "2026-12-01" }), "paved/version-lag")).toMatchObject({ status: "fail", severity: "error" });
  });

  it("takes the grace period from .paved.yml, and --grace-days over it", async () => {
    const svc = await makeService({
      versions: versions("2.0.0", "2026-11-01"),
      version: "1.0.0",
      service: { doctor: { gracePeriodDays: 10 } },
    });
    expect(TODAY > addDays("2026-11-01", 10)).toBe(true);
    expect(only(await svc.run(), "paved/version-lag").status).toBe("fail");
    expect(only(await svc.run({ graceDays: 60 }), "paved/version-lag").status).toBe("pass");
  });
});
