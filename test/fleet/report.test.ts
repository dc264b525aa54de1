import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import { beforeAll, describe, expect, it } from "vitest";
import type { FleetReport, ServiceRow } from "../../src/fleet/model.js";
import { execa } from "execa";
import { CLI_ENV, git, listFiles, runCli, snapshotDir, tempDir } from "../helpers.js";
import { buildFleet, type Fleet } from "./fleet-fixture.js";

let fleet: Fleet;
let report: FleetReport;
let reportText: string;

const AS_OF = ["--as-of", "2026-12-01", "--stickiness-days", "75"];
const STACK = /\n\s+at .*\.js:\d+/;

function cli(args: string[], cwd = fleet.root) {
  return runCli(args, { cwd, env: fleet.env });
}

function row(id: string): ServiceRow {
  const found = report.services.find((r) => r.id === id);
  expect(found, id).toBeDefined();
  return found!;
}

const ALL_PASS = (ids: string[], overrides: Record<string, string> = {}) =>
  Object.fromEntries(ids.map((id) => [id, overrides[id] ?? "pass"]));
const SERVICE_CHECKS = [
  "paved/conflicts",
  "paved/managed-drift",
  "paved/manifest",
  "paved/required-files",
  "paved/secrets",
  "paved/version-lag",
  "paved/waivers",
  "service/alert-rules",
  "service/catalog-lifecycle",
  "service/catalog-name",
  "service/ci-workflow",
  "service/dashboard",
  "service/env-ignored",
  "service/image-healthcheck",
  "service/memory-limit",
  "service/node-engine",
  "service/non-root-image",
  "service/ownership",
  "service/pinned-base-image",
  "service/readiness-probe",
  "service/run-as-non-root",
  "service/test-script",
];
const CURRENT = {
  behind: false,
  major: 0,
  minor: 0,
  patch: 0,
  releasesBehind: 0,
  oldestMissing: null,
  oldestMissingReleased: null,
  days: null,
  pastGrace: false,
  graceEnds: null,
};
const NO_DRIFT = (rendered: number) => ({
  managedFiles: 0,
  renderedFiles: rendered,
  changedFiles: 0,
  linesAdded: 0,
  linesRemoved: 0,
  changedRatio: 0,
});
const SERVICE_RELEASES = { "1.0.0": "2026-09-01", "1.1.0": "2026-10-06", "2.0.0": "2026-11-10" };

beforeAll(async () => {
  fleet = await buildFleet();
  const result = await cli(["fleet", "report", ".", "--repos-file", fleet.reposFile, ...AS_OF, "--format", "json", "--no-cache"]);
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  reportText = result.stdout;
  report = JSON.parse(reportText) as FleetReport;
}, 300_000);

describe("paved fleet report over a fleet made with the real CLI", () => {
  it("counts every repository: paved, not paved, unreadable (clone failure, broken .paved.yml)", () => {
    expect(report.version).toBe(1);
    expect(report.options).toEqual({
      asOf: "2026-12-01",
      deployTag: "v*",
      deployBranch: null,
      stickinessDays: 75,
      waiverWarningDays: 30,
      shard: null,
    });
    expect(report.services.map((r) => [r.id, r.status])).toEqual([
      ["broken-yml", "unreadable"],
      [fleet.catalogUrl, "paved"],
      [fleet.missingUrl, "unreadable"],
      ["plain", "not-paved"],
      ["services/billing", "paved"],
      ["services/legacy", "paved"],
      ["services/orders", "paved"],
      ["services/payments", "paved"],
      ["teams/x/api-svc", "paved"],
    ]);
    expect(row("broken-yml").reason).toBe(".paved.yml:3: unexpected end of the stream within a flow collection");
    expect(row(fleet.missingUrl).reason).toMatch(/^cannot clone: fatal: .*missing\.git' does not appear to be a git repository$/);
    expect(row("plain")).toEqual({
      id: "plain",
      status: "not-paved",
      reason: null,
      name: null,
      owner: null,
      template: null,
      source: null,
      version: null,
      releases: {},
      lag: null,
      doctor: null,
      waivers: [],
      drift: null,
      history: null,
    });
  });

  it("rolls the fleet up: adoption, doctor, lag, drift, waivers, first deploy, stickiness", () => {
    expect(report.summary).toEqual({
      scanned: 9,
      paved: 6,
      notPaved: 1,
      unreadable: 2,
      adoptionRate: 0.8571, // 6 / (6 + 1)
      doctor: { pass: 4, warn: 0, fail: 2, passRate: 0.6667 },
      lag: { current: 4, behind: 2, withinGrace: 1, pastGrace: 1, totalDays: 77 }, // legacy 56 + payments 21
      drift: { services: 1, managedFiles: 1, changedFiles: 2 },
      waivers: { total: 1, expired: 0, expiringSoon: 1 },
      timeToFirstDeploy: { count: 3, median: 5, p90: 7 }, // catalog 1, orders 5, payments 7
      stickiness: { eligible: 3, sticky: 2, rate: 0.6667 }, // payments and api-svc yes, legacy no
    });
    expect(report.versions).toEqual([
      { template: "api", source: fleet.apiSource, version: "1.1.0", services: 1 },
      { template: "service", source: fleet.serviceSource, version: "1.0.0", services: 1 },
      { template: "service", source: fleet.serviceSource, version: "1.1.0", services: 1 },
      { template: "service", source: fleet.serviceSource, version: "2.0.0", services: 3 },
    ]);
    const none = { count: 0, median: null, p90: null };
    expect(report.releases).toEqual([
      { template: "api", source: fleet.apiSource, version: "1.0.0", released: "2026-08-01", adopted: 0, latencyDays: none },
      {
        template: "api",
        source: fleet.apiSource,
        version: "1.1.0",
        released: "2026-09-20",
        adopted: 1,
        latencyDays: { count: 1, median: 11, p90: 11 },
      },
      { template: "service", source: fleet.serviceSource, version: "1.0.0", released: "2026-09-01", adopted: 0, latencyDays: none },
      {
        template: "service",
        source: fleet.serviceSource,
        version: "1.1.0",
        released: "2026-10-06",
        adopted: 1,
        latencyDays: { count: 1, median: 14, p90: 14 },
      },
      {
        template: "service",
        source: fleet.serviceSource,
        version: "2.0.0",
        released: "2026-11-10",
        adopted: 1,
        latencyDays: { count: 1, median: 10, p90: 10 },
      },
    ]);
    expect(report.owners).toEqual([
      { owner: "(no owner)", services: 1, doctorPass: 1, doctorFail: 0, pastGrace: 0, drifted: 0, passRate: 1 },
      { owner: "team-bill", services: 2, doctorPass: 0, doctorFail: 2, pastGrace: 1, drifted: 1, passRate: 0 },
      { owner: "team-pay", services: 3, doctorPass: 3, doctorFail: 0, pastGrace: 0, drifted: 0, passRate: 1 },
    ]);
    const counts = (pass: number, fail = 0, waived = 0, skip = 0) => ({
      pass,
      fail,
      waived,
      skip,
      passRate: Math.round((pass / (pass + fail + waived)) * 10_000) / 10_000,
    });
    expect(report.checks).toEqual(
      SERVICE_CHECKS.map((id) => ({
        id,
        ...(id === "paved/managed-drift" || id === "paved/version-lag"
          ? counts(5, 1)
          : id === "paved/required-files"
            ? counts(5, 0, 1)
            : id.startsWith("paved/")
              ? counts(6)
              : ["service/alert-rules", "service/ci-workflow", "service/dashboard", "service/ownership"].includes(id)
                ? counts(5, 0, 0, 1)
                : counts(5)),
      })),
    );
  });

  it("reports each service: version, lag, doctor, drift, waivers, history", () => {
    expect(row("services/payments")).toEqual({
      id: "services/payments",
      status: "paved",
      reason: null,
      name: "payments",
      owner: "team-pay",
      template: "service",
      source: fleet.serviceSource,
      version: "1.1.0",
      releases: SERVICE_RELEASES,
      lag: {
        latest: "2.0.0",
        behind: true,
        major: 1,
        minor: 0,
        patch: 0,
        releasesBehind: 1,
        oldestMissing: "2.0.0",
        oldestMissingReleased: "2026-11-10",
        days: 21,
        pastGrace: false,
        graceEnds: "2026-12-10",
      },
      doctor: {
        result: "pass",
        passed: 22,
        errors: 0,
        warnings: 0,
        infos: 0,
        skipped: 0,
        waived: 0,
        failing: [],
        checks: ALL_PASS(SERVICE_CHECKS),
      },
      waivers: [],
      drift: NO_DRIFT(37),
      history: {
        created: "2026-09-05",
        createdVersion: "1.0.0",
        upgrades: [{ date: "2026-10-20", from: "1.0.0", to: "1.1.0" }],
        firstDeploy: "2026-09-12",
        firstDeployRef: "v0.1.0",
        daysToFirstDeploy: 7,
        sticky: true,
      },
    });
    expect(row("services/legacy")).toMatchObject({
      version: "1.0.0",
      lag: {
        latest: "2.0.0",
        behind: true,
        major: 1,
        minor: 0,
        patch: 0,
        releasesBehind: 2,
        oldestMissing: "1.1.0",
        oldestMissingReleased: "2026-10-06",
        days: 56,
        pastGrace: true,
        graceEnds: "2026-11-05",
      },
      doctor: { result: "fail", errors: 1, failing: ["paved/version-lag"] },
      drift: NO_DRIFT(36),
      // the release-1 tag does not match v*
      history: {
        created: "2026-09-02",
        createdVersion: "1.0.0",
        upgrades: [],
        firstDeploy: null,
        firstDeployRef: null,
        daysToFirstDeploy: null,
        sticky: false,
      },
    });
    expect(row("services/orders")).toMatchObject({
      version: "2.0.0",
      lag: { latest: "2.0.0", ...CURRENT },
      history: {
        created: "2026-10-10",
        createdVersion: "1.1.0",
        upgrades: [{ date: "2026-11-20", from: "1.1.0", to: "2.0.0" }],
        firstDeploy: "2026-10-15",
        firstDeployRef: "v1.0.0",
        daysToFirstDeploy: 5,
        sticky: null,
      },
    });
    expect(row("services/billing")).toMatchObject({
      owner: "team-bill",
      doctor: {
        result: "fail",
        errors: 1,
        warnings: 0,
        waived: 1,
        failing: ["paved/managed-drift"],
        checks: ALL_PASS(SERVICE_CHECKS, { "paved/managed-drift": "fail", "paved/required-files": "waived" }),
      },
      // .nvmrc edited (managed: 1 line each way), monitoring/slo.yaml deleted (42 lines)
      drift: { managedFiles: 1, renderedFiles: 36, changedFiles: 2, linesAdded: 1, linesRemoved: 43, changedRatio: 0.0556 },
      waivers: [
        { check: "paved/required-files", reason: "SLOs move to the SRE repo", until: "2026-12-20", expired: false, expiresSoon: true },
      ],
      history: { created: "2026-11-12", createdVersion: "2.0.0", upgrades: [], firstDeploy: null, daysToFirstDeploy: null, sticky: null },
    });
    expect(row("teams/x/api-svc")).toMatchObject({
      name: "api-svc",
      owner: null,
      template: "api",
      source: fleet.apiSource,
      version: "1.1.0",
      releases: { "1.0.0": "2026-08-01", "1.1.0": "2026-09-20" },
      lag: { latest: "1.1.0", ...CURRENT },
      drift: NO_DRIFT(2),
      history: {
        created: "2026-09-10",
        createdVersion: "1.0.0",
        upgrades: [{ date: "2026-10-01", from: "1.0.0", to: "1.1.0" }],
        firstDeploy: null,
        sticky: true,
      },
    });
    expect(row(fleet.catalogUrl)).toMatchObject({
      owner: "team-pay",
      version: "2.0.0",
      history: { created: "2026-11-15", firstDeploy: "2026-11-16", firstDeployRef: "v1", daysToFirstDeploy: 1, sticky: null },
    });
  });

  it("matches schema/fleet-report.schema.json (validated with ajv)", async () => {
    const schema = JSON.parse(readFileSync(path.join(__dirname, "../../schema/fleet-report.schema.json"), "utf8")) as object;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajvFormats.default(ajv);
    const validate = ajv.compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...report, version: 2 })).toBe(false);
    expect(validate({ ...report, summary: { ...report.summary, scanned: -1 } })).toBe(false);
  });

  it("shards split the fleet stably, and merging the shards gives the one-run report byte for byte", async () => {
    const out = tempDir("paved-shards-");
    const files: string[] = [];
    for (const i of [1, 2, 3]) {
      const file = path.join(out, `shard-${i}.json`);
      const result = await cli([
        "fleet",
        "report",
        ".",
        "--repos-file",
        fleet.reposFile,
        ...AS_OF,
        "--shard",
        `${i}/3`,
        "--format",
        "json",
        "--output",
        file,
        "--quiet",
        "--no-cache",
      ]);
      expect(result.exitCode, result.stderr).toBe(0);
      files.push(file);
    }
    const shards = files.map((f) => JSON.parse(readFileSync(f, "utf8")) as FleetReport);
    expect(shards.map((s) => s.options.shard)).toEqual([
      { index: 1, count: 3 },
      { index: 2, count: 3 },
      { index: 3, count: 3 },
    ]);
    const ids = shards.flatMap((s) => s.services.map((r) => r.id));
    expect(ids.sort()).toEqual(report.services.map((r) => r.id).sort());
    expect(shards.every((s) => s.services.length < report.services.length)).toBe(true);

    const merged = await cli(["fleet", "merge", ...files, "--format", "json"]);
    expect(merged.exitCode, merged.stderr).toBe(0);
    expect(merged.stdout).toBe(reportText);
  });

  it("renders the same numbers as markdown, csv and a human summary", async () => {
    const md = await cli(["fleet", "report", ".", "--repos-file", fleet.reposFile, ...AS_OF, "--format", "markdown"]);
    expect(md.exitCode).toBe(0);
    expect(md.stdout).toContain("| adoption | 6 of 7 repositories on a golden path (85.7%); 2 unreadable |");
    expect(md.stdout).toContain(
      "| services/legacy | team-bill | service | 1.0.0 | 2.0.0 | 1 major, 56 d, past grace | 0 managed, 0/36 files | fail: paved/version-lag |",
    );
    expect(md.stdout).toContain("| service | 2.0.0 | 2026-11-10 | 1 | median 10 d, p90 10 d (1 service) |");
    const csv = await cli(["fleet", "report", ".", "--repos-file", fleet.reposFile, ...AS_OF, "--format", "csv"]);
    const lines = csv.stdout.trimEnd().split("\r\n");
    expect(lines).toHaveLength(10);
    expect(lines.find((l) => l.startsWith("services/billing,"))).toBe(
      `services/billing,paved,,billing,team-bill,service,${fleet.serviceSource},2.0.0,2.0.0,false,0,0,0,,false,fail,20,1,0,1,paved/managed-drift,1,2,36,1,1,2026-11-12,0,,,`,
    );
    const human = await cli(["fleet", "report", ".", "--repos-file", fleet.reposFile, ...AS_OF]);
    expect(human.stdout).toContain("doctor       4 pass, 0 warn, 2 fail (66.7% pass)");
    expect(human.stdout).toContain("services/billing: paved/required-files until 2026-12-20 (SLOs move to the SRE repo)");
  });

  it("--deploy-branch: the first commit only that branch has is the first deploy", async () => {
    const work = tempDir("paved-deploy-branch-");
    await execa("cp", ["-a", path.join(fleet.root, "services/payments"), path.join(work, "payments")]);
    const repo = path.join(work, "payments");
    await git(repo, ["checkout", "--quiet", "-b", "production"]);
    await execa("git", ["commit", "--quiet", "--allow-empty", "-m", "deploy"], {
      cwd: repo,
      env: { ...CLI_ENV, GIT_COMMITTER_DATE: "2026-10-25T08:00:00Z", GIT_AUTHOR_DATE: "2026-10-25T08:00:00Z" },
    });
    await git(repo, ["checkout", "--quiet", "main"]);
    const result = await runCli(
      [
        "fleet",
        "report",
        "payments",
        ...AS_OF,
        "--deploy-branch",
        "production",
        "--deploy-tag",
        "none-*",
        "--format",
        "json",
        "--no-cache",
      ],
      { cwd: work, env: fleet.env },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const branchReport = JSON.parse(result.stdout) as FleetReport;
    expect(branchReport.options).toMatchObject({ deployTag: "none-*", deployBranch: "production" });
    expect(branchReport.services[0]!.history).toMatchObject({
      created: "2026-09-05",
      firstDeploy: "2026-10-25",
      firstDeployRef: "production",
      daysToFirstDeploy: 50,
    });
  });

  it("--fail-on exits 1 when the fleet breaks the policy and 0 when it does not", async () => {
    const lag = await cli(["fleet", "report", "services/payments", "services/legacy", ...AS_OF, "--fail-on", "lag", "--quiet"]);
    expect(lag.exitCode).toBe(1);
    expect(lag.stderr).toContain("--fail-on: 1 service lag past the grace period");
    const fine = await cli([
      "fleet",
      "report",
      "services/orders",
      "services/payments",
      ...AS_OF,
      "--fail-on",
      "lag,doctor,drift",
      "--quiet",
    ]);
    expect(fine.exitCode, fine.stderr).toBe(0);
  });

  it("merges the doctor JSON each service's CI produces into the same doctor numbers", async () => {
    const out = tempDir("paved-artifacts-");
    const services = ["services/billing", "services/legacy", "services/orders", "services/payments", "teams/x/api-svc"];
    const files: string[] = [];
    for (const [i, dir] of services.entries()) {
      const file = path.join(out, `doctor-${i}.json`);
      const result = await cli(["doctor", dir, "--format", "json", "--output", file, "--quiet"]);
      expect([0, 1]).toContain(result.exitCode);
      files.push(file);
    }
    const today = new Date().toISOString().slice(0, 10);
    const fresh = JSON.parse(
      (await cli(["fleet", "report", ...services, "--stickiness-days", "75", "--format", "json"])).stdout,
    ) as FleetReport;
    const merged = await cli(["fleet", "merge", ...files, "--format", "json", "--as-of", today]);
    expect(merged.exitCode, merged.stderr).toBe(0);
    const fromArtifacts = JSON.parse(merged.stdout) as FleetReport;
    expect(fromArtifacts.services.map((r) => r.id)).toEqual(services);
    expect(fromArtifacts.services.map((r) => r.doctor)).toEqual(fresh.services.map((r) => r.doctor));
    expect(fromArtifacts.summary.doctor).toEqual(fresh.summary.doctor);
    expect(fromArtifacts.checks).toEqual(fresh.checks);
    expect(fromArtifacts.summary.lag.pastGrace).toBe(fresh.summary.lag.pastGrace);
    expect(fromArtifacts.services.map((r) => r.drift?.managedFiles)).toEqual(fresh.services.map((r) => r.drift?.managedFiles));
    expect(fromArtifacts.summary.waivers).toEqual(fresh.summary.waivers);
  });
});

describe("the result cache", () => {
  it("reuses the row of an unchanged repository and evaluates a changed one again", async () => {
    const cacheDir = tempDir("paved-fleet-cache-");
    const work = tempDir("paved-fleet-copy-");
    await execa("cp", ["-a", path.join(fleet.root, "services/orders"), path.join(work, "orders")]);
    const env = { ...fleet.env, PAVED_CACHE: cacheDir };
    const run = () => runCli(["fleet", "report", "orders", ...AS_OF, "--format", "json"], { cwd: work, env });
    const first = await run();
    expect(first.exitCode, first.stderr).toBe(0);
    const entries = listFiles(path.join(cacheDir, "fleet-rows"));
    expect(entries).toHaveLength(1);
    // Mark the cached row: a second run that shows the mark read it instead of evaluating.
    const entry = path.join(cacheDir, "fleet-rows", entries[0]!);
    writeFileSync(entry, readFileSync(entry, "utf8").replace('"name":"orders"', '"name":"from-cache"'));
    const second = JSON.parse((await run()).stdout) as FleetReport;
    expect(second.services[0]!.name).toBe("from-cache");
    // A committed change moves HEAD: evaluated again, and the drift shows.
    writeFileSync(path.join(work, "orders", ".nvmrc"), "18\n");
    const dirty = JSON.parse((await run()).stdout) as FleetReport;
    expect(dirty.services[0]!.name).toBe("orders");
    expect(dirty.services[0]!.drift).toMatchObject({ managedFiles: 1, changedFiles: 1 });
    await git(path.join(work, "orders"), ["commit", "--quiet", "-am", "pin node"]);
    const committed = JSON.parse((await run()).stdout) as FleetReport;
    expect(committed.services[0]!.drift).toMatchObject({ managedFiles: 1, changedFiles: 1 });
    expect(listFiles(path.join(cacheDir, "fleet-rows"))).toHaveLength(3);
    // Another as-of date is another key.
    const later = await runCli(["fleet", "report", "orders", "--as-of", "2026-12-02", "--format", "json"], { cwd: work, env });
    expect(later.exitCode).toBe(0);
    expect(listFiles(path.join(cacheDir, "fleet-rows"))).toHaveLength(4);
    // A new tag (a possible first deploy) is a change too.
    await git(path.join(work, "orders"), ["tag", "v2.0.0"]);
    expect((await run()).exitCode).toBe(0);
    expect(listFiles(path.join(cacheDir, "fleet-rows"))).toHaveLength(5);
  });
});

describe("refusals: exit 2, one line, nothing written", () => {
  /** `data`: the refusal's code and fields as `--json` gives them (the one line is built from them). */
  async function refused(
    args: string[],
    message: RegExp | string,
    setup?: (world: string) => void,
    data?: { code: string; fields: Record<string, unknown> },
  ) {
    const world = tempDir("paved-world-");
    setup?.(world);
    const before = snapshotDir(world);
    const result = await runCli([...args, "--output", path.join(world, "out.json")], { cwd: world, env: fleet.env });
    expect(result.exitCode, result.stderr).toBe(2);
    const first = result.stderr.split("\n")[0]!;
    if (typeof message === "string") expect(first).toBe(`error: ${message}`);
    else expect(first).toMatch(message);
    expect(result.stderr).not.toMatch(STACK);
    expect(snapshotDir(world)).toEqual(before);
    expect(existsSync(path.join(world, "out.json"))).toBe(false);
    if (data) {
      const json = await runCli([...args, "--json", "--output", path.join(world, "out.json")], { cwd: world, env: fleet.env });
      expect(json.exitCode, json.stderr).toBe(2);
      const { error } = JSON.parse(json.stdout);
      expect(`error: ${error.message}`).toBe(first);
      expect({ code: error.code, fields: error.fields }).toEqual(data);
      expect(snapshotDir(world)).toEqual(before);
    }
  }

  it("refuses bad flags", async () => {
    await refused(
      ["fleet", "report", fleet.root, "--as-of", "2026-02-30"],
      "--as-of: must be a calendar date as YYYY-MM-DD, e.g. 2026-12-01",
      undefined,
      { code: "option", fields: { flag: "--as-of" } },
    );
    await refused(
      ["fleet", "report", fleet.root, "--as-of", "yesterday"],
      "--as-of: must be a calendar date as YYYY-MM-DD, e.g. 2026-12-01",
    );
    await refused(["fleet", "report", fleet.root, "--shard", "4/3"], "--shard: must be I/N with 1 <= I <= N, e.g. --shard 2/4");
    await refused(["fleet", "report", fleet.root, "--fail-on", "lag,speed"], /^error: --fail-on: must be one of lag, doctor, drift$/);
    await refused(["fleet", "report", fleet.root, "--max-depth", "two"], "--max-depth: must be a whole number, e.g. --max-depth 3");
  });

  it("refuses a repos file that cannot be read or holds a control character, naming the line", async () => {
    await refused(["fleet", "report", "--repos-file", "nope.txt"], "--repos-file nope.txt: cannot read: ENOENT", undefined, {
      code: "user",
      fields: { flag: "--repos-file", file: "nope.txt", errno: "ENOENT" },
    });
    await refused(
      ["fleet", "report", "--repos-file", "repos.txt"],
      "--repos-file repos.txt: line 3: holds a control character; one path or git URL a line",
      (w) => writeFileSync(path.join(w, "repos.txt"), "# list\n./a\n./b\u0007\n"),
      { code: "user", fields: { flag: "--repos-file", file: "repos.txt" } },
    );
  });

  it("refuses merge inputs that are not reports, are broken, disagree or overlap", async () => {
    const shardDir = tempDir("paved-merge-in-");
    const a = path.join(shardDir, "a.json");
    const b = path.join(shardDir, "b.json");
    writeFileSync(a, reportText);
    writeFileSync(b, JSON.stringify({ ...report, options: { ...report.options, asOf: "2026-11-30" } }));
    await refused(
      ["fleet", "merge", "x.json"],
      "x.json: is not JSON (Unexpected token 'h', \"hello\" is not valid JSON)",
      (w) => writeFileSync(path.join(w, "x.json"), "hello"),
      { code: "user", fields: { file: "x.json" } },
    );
    await refused(
      ["fleet", "merge", "x.json"],
      'x.json: is neither a fleet report (no "services") nor a doctor report (no "findings")',
      (w) => writeFileSync(path.join(w, "x.json"), "{}"),
      { code: "user", fields: { file: "x.json" } },
    );
    await refused(["fleet", "merge", "gone.json"], "gone.json: cannot read: ENOENT", undefined, {
      code: "user",
      fields: { file: "gone.json", errno: "ENOENT" },
    });
    await refused(["fleet", "merge", "x.json"], /^error: x\.json: summary\.scanned: .*$/, (w) =>
      writeFileSync(path.join(w, "x.json"), JSON.stringify({ ...report, summary: { ...report.summary, scanned: "nine" } })),
    );
    await refused(["fleet", "merge", a, b], `${b}: options.asOf is "2026-11-30" but ${a} has "2026-12-01"`, undefined, {
      code: "user",
      fields: { file: b },
    });
    await refused(["fleet", "merge", a, a], `${a}: broken-yml is also in ${a}`, undefined, { code: "user", fields: { file: a } });
  });

  it("refuses an --output it cannot write, naming the flag and the file (both data for --json readers)", async () => {
    const world = tempDir("paved-world-");
    const input = path.join(world, "a.json");
    writeFileSync(input, reportText);
    const unwritable = path.join(world, "no-such-dir", "fleet.json");
    const before = snapshotDir(world);
    const human = await runCli(["fleet", "merge", input, "--output", unwritable], { cwd: world, env: fleet.env });
    expect(human.exitCode).toBe(2);
    expect(human.stderr.split("\n")[0]).toBe(`error: --output ${unwritable}: cannot write: ENOENT`);
    expect(human.stderr).not.toMatch(STACK);
    const json = await runCli(["fleet", "merge", input, "--output", unwritable, "--json"], { cwd: world, env: fleet.env });
    expect(json.exitCode).toBe(2);
    const { error } = JSON.parse(json.stdout);
    expect(error.message).toBe(`--output ${unwritable}: cannot write: ENOENT`);
    expect(error.fields).toEqual({ flag: "--output", file: unwritable, errno: "ENOENT" });
    expect(snapshotDir(world)).toEqual(before);
  });
});

describe("the HTML report in headless Chromium", () => {
  it("loads with no console errors and no network requests, shows the fleet's numbers, and renders (screenshot)", async () => {
    const { nonWhitePixels, visit } = await import("../support/chromium.js");
    const dir = tempDir("paved-html-");
    const file = path.join(dir, "fleet.html");
    const result = await cli([
      "fleet",
      "report",
      ".",
      "--repos-file",
      fleet.reposFile,
      ...AS_OF,
      "--format",
      "html",
      "--output",
      file,
      "--quiet",
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const page = await visit(`file://${file}`);
    expect(page.consoleErrors).toEqual([]);
    expect(page.requests).toEqual([]);
    for (const shown of [
      "9\trepositories scanned",
      "6/7 (85.7%)",
      "66.7%\tdoctor pass rate",
      "1\tpast the grace period",
      "5\tfirst deploy (median days)",
      "services/legacy\tteam-bill\tservice\t1.0.0\t2.0.0\t1 major, 56 d, past grace",
    ]) {
      expect(page.text.replace(/\n/g, "\t")).toContain(shown);
    }
    const pixels = nonWhitePixels(page.png);
    expect([pixels.width, pixels.height]).toEqual([1280, 900]);
    // Text, tables and bars cover a good part of the first screen; a blank page has none.
    expect(pixels.count).toBeGreaterThan(1280 * 900 * 0.03);
  }, 120_000);

  it("escapes every value: a hostile repository name neither runs nor loads anything", async () => {
    const { visit } = await import("../support/chromium.js");
    const dir = tempDir("paved-html-");
    const hostile = `<script>console.error("ran")</script><img src="http://127.0.0.1:9/x.png" onerror="console.error(1)">"'\``;
    const tampered = { ...report, services: report.services.map((r) => (r.id === "plain" ? { ...r, id: hostile, reason: hostile } : r)) };
    writeFileSync(path.join(dir, "in.json"), JSON.stringify(tampered));
    const result = await cli(
      ["fleet", "merge", path.join(dir, "in.json"), "--format", "html", "--output", path.join(dir, "fleet.html"), "--quiet"],
      dir,
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const html = readFileSync(path.join(dir, "fleet.html"), "utf8");
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    const page = await visit(`file://${path.join(dir, "fleet.html")}`);
    expect(page.consoleErrors).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.text).toContain(hostile);
  }, 120_000);
});
