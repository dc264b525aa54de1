import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { git, runCli, snapshotDir, tempDir, writeFiles } from "../helpers.js";
import { makeSource } from "../template-fixtures.js";

const noStack = /\n\s+at .*\.js:\d+/;

const QUESTIONS = [
  { name: "name", type: "input", message: "Name", default: "{{paved.dirName}}" },
  { name: "owner", type: "input", message: "Owner", default: "team-a" },
];
const CONFIG_1 = [
  "# {{name}} settings",
  "port: 8080",
  "timeout: 10",
  "retries: 3",
  "a: 1",
  "b: 2",
  "c: 3",
  "d: 4",
  "e: 5",
  "log: info",
  "owner: {{owner}}",
  "",
].join("\n");
const CONFIG_2 = [
  "# {{name}} settings",
  "port: 8080",
  "timeout: 30",
  "retries: 3",
  "a: 1",
  "b: 2",
  "c: 3",
  "d: 4",
  "e: 5",
  "log: warn",
  "owner: {{owner}}",
  "",
].join("\n");

/** app 1.0.0 -> 1.1.0: config.yml changes two distant lines, legacy.yml goes away, notes.md is renamed by a migration. */
function templateSource(): string {
  return makeSource({
    app: {
      "1.0.0": {
        manifest: { questions: QUESTIONS },
        files: {
          "config.yml": CONFIG_1,
          "legacy.yml": "legacy: true\n",
          "notes.md": "# Notes\n\nfirst\n",
          "README.md": "# {{name}}\n\nOwned by {{owner}}.\n",
        },
      },
      "1.1.0": {
        manifest: { questions: QUESTIONS, migrations: [{ rename: { from: "notes.md", to: "docs/notes.md" } }] },
        files: {
          "config.yml": CONFIG_2,
          "docs/notes.md": "# Notes\n\nfirst\n",
          "README.md": "# {{name}}\n\nOwned by {{owner}}. See docs/notes.md.\n",
        },
      },
    },
    other: { "1.0.0": { manifest: { questions: QUESTIONS }, files: { "x.txt": "x\n" } } },
  });
}

interface ImpactJson {
  template: string;
  to: string;
  totals: Record<string, number>;
  conflictFiles: { path: string; services: number; regions: number }[];
  services: {
    id: string;
    status: string;
    reason: string | null;
    conflicts: { path: string; regions: number; kind: string }[];
    kept: { path: string }[];
    migrations: { step: string }[];
    stopsAt: string | null;
  }[];
}

function edit(dir: string, file: string, change: (text: string) => string): void {
  const full = path.join(dir, file);
  writeFileSync(full, change(readFileSync(full, "utf8")));
}

let source: string;
let fleet: string;
const services: Record<string, string> = {};

/** A generated fleet with known team edits, committed. */
beforeAll(async () => {
  source = templateSource();
  fleet = tempDir("paved-impact-fleet-");
  const make = async (name: string, template = "app", version = "1.0.0") => {
    const dir = path.join(fleet, name);
    const made = await runCli(["new", template, dir, "--source", source, "--version", version, "--yes"]);
    expect(made.exitCode, made.stderr).toBe(0);
    services[name] = dir;
    return dir;
  };
  await make("untouched-api");
  // One region: the team changed the timeout the template also changes.
  edit(await make("timeout-api"), "config.yml", (t) => t.replace("timeout: 10", "timeout: 20"));
  // Two regions in config.yml (timeout and log, far apart) and one in README.md.
  const two = await make("busy-api");
  edit(two, "config.yml", (t) => t.replace("timeout: 10", "timeout: 15").replace("log: info", "log: error"));
  edit(two, "README.md", (t) => t.replace("Owned by team-a.", "Owned by team-a (on call: #busy)."));
  // Edited a file the release deletes: kept, and it needs a person; edited a file a migration moves: follows it.
  const kept = await make("legacy-api");
  edit(kept, "legacy.yml", () => "legacy: false\n");
  edit(kept, "notes.md", (t) => `${t}team note\n`);
  await make("current-api", "app", "1.1.0");
  await make("other-api", "other");
  for (const dir of Object.values(services)) {
    await git(dir, ["commit", "-qam", "team edits", "--allow-empty"]);
  }
  writeFiles(path.join(fleet, "plain-repo"), { "x.txt": "not paved\n" });
  await git(path.join(fleet, "plain-repo"), ["init", "-q"]);
}, 120_000);

describe("paved template impact", () => {
  it("reports exactly the conflicts and kept files that paved upgrade then produces in each service, without touching them", async () => {
    const before = snapshotDir(fleet);
    const result = await runCli(["template", "impact", path.join(source, "app"), "--to", "1.1.0", fleet, "--json"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(snapshotDir(fleet)).toEqual(before);
    const report = JSON.parse(result.stdout) as ImpactJson;
    const row = (name: string) => report.services.find((s) => s.id.endsWith(name))!;
    expect(Object.fromEntries(report.services.map((s) => [path.basename(s.id), s.status]))).toEqual({
      "busy-api": "conflicts",
      "current-api": "current",
      "legacy-api": "clean",
      "other-api": "other-template",
      "plain-repo": "not-paved",
      "timeout-api": "conflicts",
      "untouched-api": "clean",
    });
    expect(report.totals).toMatchObject({
      services: 7,
      clean: 2,
      conflicts: 2,
      current: 1,
      unreadable: 0,
      otherTemplate: 1,
      notPaved: 1,
      withKept: 1,
    });
    expect(
      row("busy-api")
        .conflicts.map((c) => [c.path, c.regions])
        .sort(),
    ).toEqual([
      ["README.md", 1],
      ["config.yml", 2],
    ]);
    expect(row("timeout-api").conflicts.map((c) => [c.path, c.regions])).toEqual([["config.yml", 1]]);
    expect(row("legacy-api").kept.map((k) => k.path)).toEqual(["legacy.yml"]);
    expect(row("legacy-api").migrations.map((m) => m.step)).toContain("rename notes.md -> docs/notes.md");
    expect(report.conflictFiles).toEqual([
      { path: "config.yml", services: 2, regions: 3 },
      { path: "README.md", services: 1, regions: 1 },
    ]);

    // Now the real upgrade in each service: the same conflicts (files and regions) and kept files.
    for (const name of ["untouched-api", "timeout-api", "busy-api", "legacy-api"]) {
      const up = await runCli(["upgrade", services[name]!, "--to", "1.1.0", "--yes", "--json"]);
      const upgraded = JSON.parse(up.stdout) as { conflicts: { path: string; regions: number }[]; kept: { path: string }[] };
      const predicted = row(name);
      expect(upgraded.conflicts.map((c) => [c.path, c.regions]).sort(), name).toEqual(
        predicted.conflicts.map((c) => [c.path, c.regions]).sort(),
      );
      expect(
        upgraded.kept.map((k) => k.path),
        name,
      ).toEqual(predicted.kept.map((k) => k.path));
      expect(up.exitCode, name).toBe(predicted.status === "clean" && predicted.kept.length === 0 ? 0 : 1);
      // What git sees as unmerged after the upgrade is what impact named.
      const unmerged = String((await git(services[name]!, ["diff", "--name-only", "--diff-filter=U"])).stdout)
        .split("\n")
        .filter(Boolean)
        .sort();
      expect(unmerged, name).toEqual(predicted.conflicts.map((c) => c.path).sort());
    }
  }, 120_000);

  it("prints markdown for a release PR, splits the fleet into stable shards, and exits 1 with --fail-on-conflicts", async () => {
    const fresh = tempDir("paved-impact-md-");
    const dir = path.join(fresh, "solo-api");
    expect((await runCli(["new", "app", dir, "--source", source, "--version", "1.0.0", "--yes"])).exitCode).toBe(0);
    edit(dir, "config.yml", (t) => t.replace("log: info", "log: debug"));
    await git(dir, ["commit", "-qam", "edit"]);
    const md = await runCli(["template", "impact", path.join(source, "app"), dir, "--to", "1.1.0", "--format", "markdown"]);
    expect(md.exitCode, md.stderr).toBe(0);
    expect(md.stdout).toContain("## Fleet impact of app 1.1.0");
    expect(md.stdout).toContain("| with conflicts | 1 |");
    expect(md.stdout).toContain("| config.yml | 1 | 1 |");

    const failing = await runCli(["template", "impact", path.join(source, "app"), dir, "--to", "1.1.0", "--fail-on-conflicts"]);
    expect(failing.exitCode).toBe(1);
    expect(failing.stderr).toMatch(/--fail-on-conflicts: 1 service would stop with conflicts/);
    const quiet = await runCli(["template", "impact", path.join(source, "app"), dir, "--to", "1.1.0", "--fail-on-conflicts", "--quiet"]);
    expect([quiet.exitCode, quiet.stdout]).toEqual([1, ""]);

    const ids = async (shard: string) =>
      (
        JSON.parse(
          (await runCli(["template", "impact", path.join(source, "app"), fleet, "--to", "1.1.0", "--shard", shard, "--json"])).stdout,
        ) as ImpactJson
      ).services.map((s) => s.id);
    const [one, two] = [await ids("1/2"), await ids("2/2")];
    expect([...one, ...two].sort()).toHaveLength(7);
    expect(one.filter((id) => two.includes(id))).toEqual([]);
  }, 120_000);

  it("reports a service the upgrade would refuse as blocked and a broken .paved.yml as unreadable, with their reasons", async () => {
    const strict = makeSource({
      app: {
        "1.0.0": { manifest: { questions: QUESTIONS }, files: { "a.txt": "a\n" } },
        "1.1.0": {
          manifest: { questions: [...QUESTIONS, { name: "tier", type: "input", message: "Tier", required: true }] },
          files: { "a.txt": "a {{tier}}\n" },
        },
      },
    });
    const root = tempDir("paved-impact-blocked-");
    expect((await runCli(["new", "app", path.join(root, "needs-tier"), "--source", strict, "--version", "1.0.0", "--yes"])).exitCode).toBe(
      0,
    );
    writeFiles(path.join(root, "broken"), { ".paved.yml": "template: [\n" });
    const result = await runCli(["template", "impact", path.join(strict, "app"), root, "--to", "1.1.0", "--json"]);
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as ImpactJson;
    expect(report.services.map((s) => [s.id.split("/").pop(), s.status])).toEqual([
      ["broken", "unreadable"],
      ["needs-tier", "blocked"],
    ]);
    expect(report.services[1]!.reason).toMatch(/missing answer for "tier"/);
    expect(report.services[0]!.reason).toMatch(/\.paved\.yml/);
    expect(report.totals).toMatchObject({ blocked: 1, unreadable: 1 });
  }, 60_000);

  it.each([
    [["--to", "9.9.9"], /^error: --to 9\.9\.9: app has no such version/],
    [["--to", "1.1.0", "--shard", "3/2"], /^error: --shard: must be I\/N with 1 <= I <= N/],
    [["--to", "1.1.0", "--jobs", "0"], /^error: --jobs: must be at least 1/],
    [["--to", "1.1.0", "--repos-file", "missing.txt"], /^error: --repos-file missing\.txt: cannot read: ENOENT/],
    [["--to", "1.1.0", "--format", "xml"], /^error: option '--format <format>' argument 'xml' is invalid/],
    [["--to", "1.1.0", "--json", "--format", "markdown"], /"message": "--json and --format markdown disagree"/],
  ])("refuses bad input %j with exit 2, one line, no stack, nothing written", async (args, message) => {
    const before = snapshotDir(fleet);
    const result = await runCli(["template", "impact", path.join(source, "app"), fleet, ...args], { cwd: fleet });
    expect(result.exitCode).toBe(2);
    // With --json the error is JSON on stdout.
    const shown = args.includes("--json") ? result.stdout : result.stderr.trim().split("\n")[0]!;
    expect(shown).toMatch(message);
    expect(result.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
    expect(result.stderr).not.toMatch(noStack);
    expect(snapshotDir(fleet)).toEqual(before);
  });

  it("refuses a template directory that does not exist", async () => {
    const result = await runCli(["template", "impact", path.join(source, "nope"), fleet, "--to", "1.1.0"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split("\n")[0]).toMatch(/nope: no such directory/);
    expect(result.stderr).not.toMatch(noStack);
    // The directory is data: --json gives it as fields.file, and the one line is built from it.
    const json = await runCli(["template", "impact", path.join(source, "nope"), fleet, "--to", "1.1.0", "--json"]);
    expect(json.exitCode).toBe(2);
    expect(JSON.parse(json.stdout).error).toMatchObject({
      message: `${path.join(source, "nope")}: no such directory`,
      code: "user",
      fields: { file: path.join(source, "nope") },
    });
    expect(result.stderr.trim().split("\n")[0]).toBe(`error: ${path.join(source, "nope")}: no such directory`);
  });
});
