/**
 * `paved adopt` end to end with the real CLI and real git: a hand-copied service (made at 1.1.0, its `.paved.yml`
 * deleted, files edited) is adopted as 1.1.0 with the answers it was made with, and `paved upgrade` then brings it
 * to the latest version keeping the team's edits, one of them through a three-way merge. Then: the refusals (exit 2,
 * one line, nothing written), --dry-run, --json, --apply, a repository outside git, infer rules that would read
 * outside the repository through symlinks, and a template regex that would backtrack forever.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { versionFolders } from "../../src/authoring/release.js";
import { snapshotWorld } from "../security/world-snapshot.js";
import { BUILTIN_TEMPLATES, git, runCli, runInTerminal, tempDir, writeFiles } from "../helpers.js";
import { makeSource } from "../template-fixtures.js";

const VERSIONS = versionFolders(path.join(BUILTIN_TEMPLATES, "service"));
const LATEST = VERSIONS.at(-1)!;
const STACK = /\n\s+at .*\.js:\d+/;

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), "utf8");

function edit(dir: string, file: string, from: string, to: string): void {
  const text = read(dir, file);
  expect(text.split(from).length - 1, `${file} contains ${JSON.stringify(from)} once`).toBe(1);
  writeFileSync(path.join(dir, file), text.replace(from, to));
}

async function commitAll(dir: string, message: string): Promise<void> {
  await git(dir, ["add", "--all"]);
  await git(dir, ["commit", "--quiet", "--no-verify", "-m", message]);
}

/** Everything under root, `.git/index` aside (git status may refresh its stat data; that is git's, not a write). */
const snapshot = (root: string) => snapshotWorld(root, (rel) => rel.endsWith(".git/index"));

interface AdoptJson {
  ok: boolean;
  dryRun: boolean;
  template: string;
  version: string;
  chosenBy: string;
  git: boolean;
  candidates: Array<{ version: string; score: number | null; chosen: boolean; missing?: number; skipped?: string }>;
  answers: Record<string, unknown>;
  inferred: Array<{ question: string; value: unknown; from: string }>;
  notes: Array<{ question: string; rule: string; reason: string }>;
  written: string[];
  missing: string[];
  drift: { files: Array<{ path: string; status: string; added: number; removed: number }>; added: number; removed: number };
  nextSteps: string[];
}

const TEAM_ROUTE = `  // Team addition: who to call about this service.
  server.get("/team", async () => ({ owner: service.owner }));

`;
const RUNBOOK_NOTE = "Before rolling back, say so in #payments-oncall.\n\n";
const LISTEN_FAILURE = '"cannot listen");';
const TEAM_LISTEN_FAILURE = '"cannot listen: is another copy running? (team payments)");';

describe("paved adopt: a hand-copied service", () => {
  it("is adopted as 1.1.0 with the answers it was made with, and paved upgrade reaches the latest version keeping the edits", async () => {
    const dir = path.join(tempDir("paved-adopt-"), "payments-api");
    const made = await runCli([
      "new",
      "service",
      dir,
      "--version",
      "1.1.0",
      "--set",
      "owner=team-payments",
      "--set",
      "tier=1",
      "--set",
      "port=9090",
      "--no-install",
    ]);
    expect(made.exitCode, made.stderr).toBe(0);
    const original = parseYaml(read(dir, ".paved.yml")) as { answers: Record<string, unknown> };
    // As a hand copy would be: no .paved.yml, and the team's own changes.
    await git(dir, ["rm", "--quiet", ".paved.yml"]);
    edit(dir, "src/app.ts", '  server.get("/metrics"', `${TEAM_ROUTE}  server.get("/metrics"`);
    edit(
      dir,
      "docs/runbook.md",
      "Roll back the last release (then find the cause calmly):\n",
      `${RUNBOOK_NOTE}Roll back the last release (then find the cause calmly):\n`,
    );
    edit(dir, "src/server.ts", LISTEN_FAILURE, TEAM_LISTEN_FAILURE);
    await commitAll(dir, "Hand-copied payments-api");

    const dry = await runCli(["adopt", "service", "--yes", "--dry-run"], { cwd: dir });
    expect(dry.exitCode, dry.stderr).toBe(0);
    for (const v of VERSIONS) expect(dry.stdout).toMatch(new RegExp(`^  ${v.replace(/\./g, "\\.")}\\s+\\d+ lines`, "m"));
    expect(dry.stdout).toMatch(/^ {2}1\.1\.0\s+7 lines .*<- closest$/m);
    expect(dry.stdout).toContain("Dry run: nothing was written.");
    expect(existsSync(path.join(dir, ".paved.yml"))).toBe(false);

    const adopted = await runCli(["adopt", "service", "--yes", "--json"], { cwd: dir });
    expect(adopted.exitCode, adopted.stderr).toBe(0);
    const body = JSON.parse(adopted.stdout) as AdoptJson;
    expect(body).toMatchObject({
      ok: true,
      dryRun: false,
      template: "service",
      version: "1.1.0",
      chosenBy: "score",
      git: true,
      written: [".paved.yml"],
    });
    expect(body.answers).toEqual(original.answers);
    expect(body.candidates.map((c) => c.version)).toEqual(VERSIONS);
    const chosen = body.candidates.find((c) => c.chosen)!;
    expect(chosen.version).toBe("1.1.0");
    for (const c of body.candidates) if (c !== chosen) expect(c.score!).toBeGreaterThan(chosen.score!);
    expect(body.inferred.find((a) => a.question === "owner")).toEqual({
      question: "owner",
      value: "team-payments",
      from: "catalog-info.yaml#spec.owner",
    });
    expect(body.inferred.find((a) => a.question === "port")?.value).toBe(9090);
    expect(body.inferred.find((a) => a.question === "tier")?.value).toBe(1);
    expect(body.drift.files.map((f) => f.path).sort()).toEqual(["docs/runbook.md", "src/app.ts", "src/server.ts"]);
    expect(body.nextSteps.at(-1)).toMatch(/^paved upgrade/);
    const recorded = parseYaml(read(dir, ".paved.yml")) as {
      template: string;
      source: string;
      version: string;
      answers: Record<string, unknown>;
    };
    expect(recorded).toEqual({ template: "service", source: "builtin", version: "1.1.0", answers: original.answers });
    // Only .paved.yml was written.
    expect((await git(dir, ["status", "--porcelain"])).stdout).toBe("?? .paved.yml");

    await git(dir, ["add", ".paved.yml"]);
    await git(dir, ["commit", "--quiet", "-m", "Adopt service 1.1.0"]);
    const diff = await runCli(["diff", "--stat"], { cwd: dir });
    expect(diff.stdout).toContain("3 files changed");

    const upgraded = await runCli(["upgrade", "--commit", "--json"], { cwd: dir });
    expect(upgraded.exitCode, upgraded.stderr).toBe(0);
    const plan = JSON.parse(upgraded.stdout) as { to: string; actions: Array<{ path: string; action: string; step: string }> };
    expect(plan.to).toBe(LATEST);
    expect((parseYaml(read(dir, ".paved.yml")) as { version: string }).version).toBe(LATEST);
    // The team's edits: kept where only they changed a file, merged where the template changed it too.
    expect(plan.actions.some((a) => a.path === "src/server.ts" && a.action === "merge")).toBe(true);
    const server = read(dir, "src/server.ts");
    expect(server).toContain(TEAM_LISTEN_FAILURE);
    expect(server).toContain("stopTracing");
    expect(read(dir, "src/app.ts")).toContain(TEAM_ROUTE);
    expect(read(dir, "docs/runbooks/README.md")).toContain(RUNBOOK_NOTE);
    expect((await git(dir, ["status", "--porcelain"])).stdout).toBe("");
  }, 120_000);
});

/** A small template whose two versions differ in one file; its questions say where their answers are. */
function demoSource(extra: Record<string, unknown> = {}): string {
  const questions = [
    { name: "name", type: "input", message: "Name", required: true, pattern: "^[a-z][-a-z0-9]*$", infer: ["package.json#name"] },
    {
      name: "owner",
      type: "input",
      message: "Owner",
      required: true,
      pattern: "^team-[a-z]+$",
      infer: ["conf/owner.yaml#owner", "catalog.yaml#owner"],
    },
    {
      name: "port",
      type: "number",
      message: "Port",
      default: 8080,
      min: 1024,
      infer: [
        { file: "Dockerfile", regex: "^EXPOSE (\\d+)" },
        { file: "fly.toml", regex: "internal_port = (\\d+)" },
      ],
    },
    {
      name: "db",
      type: "select",
      message: "Database",
      choices: ["none", "postgres"],
      default: "none",
      infer: [{ file: "migrations", exists: true, value: "postgres" }],
    },
  ];
  const files = {
    "package.json": '{ "name": "{{name}}" }\n',
    "catalog.yaml": "owner: {{owner}}\n",
    Dockerfile: "FROM node:24\nEXPOSE {{port}}\n",
    "README.md": "# {{name}}\nOwned by {{owner}}.\n",
  };
  return makeSource({
    demo: {
      "1.0.0": { manifest: { questions, ...extra }, files },
      "1.1.0": {
        manifest: { questions, ...extra },
        files: { ...files, "README.md": "# {{name}}\nOwned by {{owner}}; see CHANGELOG.md.\n", "CHANGELOG.md": "# Changes\n" },
      },
    },
  });
}

/** A repository as the demo template 1.0.0 would make it, committed; inside a "world" folder with a file beside it. */
async function demoRepo(files: Record<string, string> = {}, withGit = true): Promise<{ world: string; dir: string }> {
  const world = tempDir("paved-adopt-world-");
  const dir = path.join(world, "shop");
  writeFiles(world, { "precious.txt": "owner: team-victim\n" });
  writeFiles(dir, {
    "package.json": '{ "name": "shop" }\n',
    "catalog.yaml": "owner: team-shop\n",
    Dockerfile: "FROM node:24\nEXPOSE 80\n",
    "fly.toml": "internal_port = 9000\n",
    "README.md": "# shop\nOwned by team-shop.\n",
    "src/index.ts": "export {};\n",
    ...files,
  });
  if (withGit) {
    await git(dir, ["init", "--quiet"]);
    await commitAll(dir, "Shop");
  }
  return { world, dir };
}

async function expectRefused(args: string[], cwd: string, world: string, message: RegExp): Promise<void> {
  const before = snapshot(world);
  const result = await runCli(args, { cwd });
  expect(result.exitCode, result.stderr).toBe(2);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(STACK);
  expect(result.stderr.split("\n").filter((l) => l.startsWith("error:") || l.startsWith("paved:")).length).toBeLessThanOrEqual(1);
  expect(snapshot(world)).toEqual(before);
}

describe("paved adopt: inference, scores and output", () => {
  it("infers answers by the rules, reports a value the question refuses and uses the next rule, and picks the closest version", async () => {
    const source = demoSource();
    const { world, dir } = await demoRepo();
    const before = snapshot(world);
    const dry = await runCli(["adopt", "demo", "--source", source, "--yes", "--dry-run", "--json"], { cwd: dir });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(snapshot(world)).toEqual(before);
    const body = JSON.parse(dry.stdout) as AdoptJson;
    expect(body).toMatchObject({ ok: true, dryRun: true, version: "1.0.0", chosenBy: "score", written: [], missing: [] });
    expect(body.answers).toEqual({ name: "shop", owner: "team-shop", port: 9000, db: "none" });
    expect(body.inferred.map((a) => [a.question, a.value, a.from])).toEqual([
      ["name", "shop", "package.json#name"],
      ["owner", "team-shop", "catalog.yaml#owner"],
      ["port", 9000, "fly.toml /internal_port = (\\d+)/"],
    ]);
    expect(body.notes).toEqual([
      { question: "port", rule: "Dockerfile /^EXPOSE (\\d+)/", reason: 'found "80", which must be at least 1024' },
    ]);
    // 1.0.0: only the Dockerfile's EXPOSE line differs (2 lines); 1.1.0: that, its README line (2) and CHANGELOG.md missing (1).
    expect(body.candidates.map((c) => [c.version, c.score, c.chosen])).toEqual([
      ["1.0.0", 2, true],
      ["1.1.0", 5, false],
    ]);
    expect(body.drift).toMatchObject({ files: [{ path: "Dockerfile", status: "modified", added: 1, removed: 1 }], added: 1, removed: 1 });

    const human = await runCli(["adopt", "demo", "--source", source, "--yes", "--dry-run"], { cwd: dir });
    expect(human.stdout).toMatch(/^ {2}1\.0\.0\s+2 lines {2}\(4 files: 3 identical, 1 differ, 0 missing\) {2}<- closest$/m);
    expect(human.stdout).toMatch(/^ {2}1\.1\.0\s+5 lines {2}\(5 files: 2 identical, 2 differ, 1 missing\)$/m);
    expect(human.stderr).toContain('warning: port: Dockerfile /^EXPOSE (\\d+)/: found "80", which must be at least 1024');
    expect(human.stdout).toContain(" Dockerfile | 2 +-");
  });

  it("--version adopts that version; --set wins over an inferred answer; an exists rule gives its value", async () => {
    const source = demoSource();
    const { dir } = await demoRepo({ "migrations/001.sql": "create table t ();\n" });
    const result = await runCli(
      ["adopt", "demo", "--source", source, "--version", "1.1.0", "--set", "owner=team-other", "--yes", "--json"],
      { cwd: dir },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const body = JSON.parse(result.stdout) as AdoptJson;
    expect(body).toMatchObject({ version: "1.1.0", chosenBy: "--version", written: [".paved.yml"], missing: ["CHANGELOG.md"] });
    expect(body.candidates.map((c) => c.version)).toEqual(["1.1.0"]);
    expect(body.answers).toEqual({ name: "shop", owner: "team-other", port: 9000, db: "postgres" });
    expect(parseYaml(read(dir, ".paved.yml"))).toMatchObject({ template: "demo", version: "1.1.0", answers: body.answers });
    expect(existsSync(path.join(dir, "CHANGELOG.md"))).toBe(false);
  });

  it("--apply creates the template's files the repository lacks and never overwrites one", async () => {
    const source = demoSource();
    const { dir } = await demoRepo({ "README.md": "# shop\nOur own README.\n" });
    const result = await runCli(["adopt", "demo", "--source", source, "--version", "1.1.0", "--yes", "--apply", "--json"], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    const body = JSON.parse(result.stdout) as AdoptJson & { apply: { created: string[] } };
    expect(body.apply.created).toEqual(["CHANGELOG.md"]);
    expect(body.written).toEqual([".paved.yml", "CHANGELOG.md"]);
    expect(read(dir, "CHANGELOG.md")).toBe("# Changes\n");
    expect(body.drift.files.map((f) => f.path)).toEqual(["Dockerfile", "README.md"]);
    expect(read(dir, "README.md")).toBe("# shop\nOur own README.\n");
    expect(body.nextSteps[0]).toBe('git add .paved.yml CHANGELOG.md && git commit -m "Adopt demo 1.1.0"');
  });

  it("scores pre-releases only with --prerelease", async () => {
    const source = makeSource({
      demo: {
        "1.0.0": { manifest: { questions: [] }, files: { "a.txt": "1\n" } },
        "2.0.0-rc.1": { manifest: { questions: [] }, files: { "a.txt": "2\n" } },
      },
    });
    const { dir } = await demoRepo({ "a.txt": "2\n" });
    const versionsScored = async (args: string[]) => {
      const result = await runCli(["adopt", "demo", "--source", source, "--yes", "--dry-run", "--json", ...args], { cwd: dir });
      expect(result.exitCode, result.stderr).toBe(0);
      const body = JSON.parse(result.stdout) as AdoptJson;
      return [body.version, body.candidates.map((c) => c.version)];
    };
    expect(await versionsScored([])).toEqual(["1.0.0", ["1.0.0"]]);
    expect(await versionsScored(["--prerelease"])).toEqual(["2.0.0-rc.1", ["1.0.0", "2.0.0-rc.1"]]);
  });

  it("works outside git, and says that paved upgrade needs git", async () => {
    const source = demoSource();
    const { dir } = await demoRepo({}, false);
    const result = await runCli(["adopt", "demo", "--source", source, "--yes"], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain("is not in a git repository: adopt works without one, but `paved upgrade` needs git");
    expect(result.stdout).toMatch(/git init && git add -A && git commit -m "Adopt demo 1\.0\.0" {3}# paved upgrade needs git/);
    expect(existsSync(path.join(dir, ".paved.yml"))).toBe(true);
  });
});

describe("paved adopt on a terminal", () => {
  it("asks only for what it could not infer, and scores every version with the typed answer", async () => {
    const { dir } = await demoRepo({ "catalog.yaml": "owner: Team Shop\n" });
    const result = await runInTerminal(["adopt", "demo", dir, "--source", demoSource()], [["Owner", "team-typed\r"]], { thenEnter: true });
    const transcript = String(result.stdout);
    expect(result.exitCode, transcript).toBe(0);
    expect(transcript).not.toMatch(/\? Name/);
    expect(transcript).not.toMatch(/\? Port/);
    expect(transcript).toMatch(/1\.0\.0\s+6 lines .*<- closest/);
    expect(parseYaml(read(dir, ".paved.yml"))).toMatchObject({
      version: "1.0.0",
      answers: { name: "shop", owner: "team-typed", port: 9000, db: "none" },
    });
  });
});

describe("paved adopt: refusals (exit 2, one line, nothing written)", () => {
  it("a dirty tree, unless --allow-dirty", async () => {
    const { world, dir } = await demoRepo();
    writeFileSync(path.join(dir, "notes.txt"), "wip\n");
    await expectRefused(
      ["adopt", "demo", "--source", demoSource(), "--yes"],
      dir,
      world,
      /has uncommitted changes \(1 path, e\.g\. notes\.txt\)/,
    );
    const allowed = await runCli(["adopt", "demo", "--source", demoSource(), "--yes", "--allow-dirty"], { cwd: dir });
    expect(allowed.exitCode, allowed.stderr).toBe(0);
  });

  it("a repository that already has .paved.yml, unless --force", async () => {
    const { world, dir } = await demoRepo({ ".paved.yml": "template: demo\nsource: builtin\nversion: 1.0.0\nanswers: {}\n" });
    await expectRefused(
      ["adopt", "demo", "--source", demoSource(), "--yes"],
      dir,
      world,
      /^error: the current directory already has \.paved\.yml: it is on a template$/m,
    );
    const json = await runCli(["adopt", "demo", "--source", demoSource(), "--yes", "--json"], { cwd: dir });
    expect(json.exitCode).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      ok: false,
      error: {
        message: "the current directory already has .paved.yml: it is on a template",
        hint: expect.stringContaining("--force"),
        code: "user",
        fields: {},
      },
    });
    const forced = await runCli(["adopt", "demo", "--source", demoSource(), "--yes", "--force", "--allow-dirty"], { cwd: dir });
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(parseYaml(read(dir, ".paved.yml"))).toMatchObject({ template: "demo", answers: { name: "shop" } });
  });

  it("an unknown template", async () => {
    const { world, dir } = await demoRepo();
    await expectRefused(["adopt", "nosuch", "--source", demoSource(), "--yes"], dir, world, /unknown template "nosuch"/);
  });

  it("a required answer neither inferred nor given, with --yes", async () => {
    const { world, dir } = await demoRepo({ "catalog.yaml": "owner: Team Shop\n" });
    await expectRefused(["adopt", "demo", "--source", demoSource(), "--yes"], dir, world, /missing answer for "owner"/);
  });

  it("a directory that does not exist", async () => {
    const { world, dir } = await demoRepo();
    await expectRefused(["adopt", "demo", "nowhere", "--source", demoSource(), "--yes"], dir, world, /nowhere does not exist/);
  });

  it("a template regex the linear-time engine cannot run (a backreference) is a manifest error", async () => {
    const { world, dir } = await demoRepo();
    const source = makeSource({
      demo: { "1.0.0": { manifest: { questions: [{ name: "x", type: "input", message: "X", infer: [{ file: "a", regex: "(a)\\1" }] }] } } },
    });
    await expectRefused(
      ["adopt", "demo", "--source", source, "--yes"],
      dir,
      world,
      /infer\[0\]\.regex: is not a regular expression paved can run in linear time/,
    );
  });
});

describe("paved adopt: what it reads stays inside the repository", () => {
  it("an infer rule reaching outside through a symlinked folder or file is refused and reported; the outside value is never used or shown", async () => {
    const { world, dir } = await demoRepo();
    mkdirSync(path.join(world, "outside"));
    writeFileSync(path.join(world, "outside", "owner.yaml"), "owner: team-victim\n");
    symlinkSync(path.join(world, "outside"), path.join(dir, "conf"));
    // catalog.yaml now points out of the repository too.
    const catalog = path.join(dir, "catalog.yaml");
    rmSync(catalog);
    symlinkSync("../precious.txt", catalog);
    await commitAll(dir, "Links out");
    const before = snapshot(world);
    const result = await runCli(["adopt", "demo", "--source", demoSource(), "--yes", "--set", "owner=team-shop", "--json"], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    const body = JSON.parse(result.stdout) as AdoptJson;
    expect(body.answers.owner).toBe("team-shop");
    expect(body.notes.filter((n) => n.question === "owner")).toEqual([
      {
        question: "owner",
        rule: "conf/owner.yaml#owner",
        reason: "refused: conf/owner.yaml resolves outside the service through a symlinked folder",
      },
      {
        question: "owner",
        rule: "catalog.yaml#owner",
        reason: "refused: catalog.yaml is a symlink; paved does not follow links in a repository it adopts",
      },
    ]);
    expect(result.stdout + result.stderr).not.toContain("team-victim");
    expect(read(dir, ".paved.yml")).not.toContain("team-victim");
    const after = snapshot(world);
    delete after["shop/.paved.yml"];
    expect(after).toEqual(before);
  });

  it("--apply never writes through a symlinked folder: exit 2, nothing written (not even .paved.yml)", async () => {
    const { world, dir } = await demoRepo();
    mkdirSync(path.join(world, "outside"));
    symlinkSync("../outside", path.join(dir, "docs"));
    await commitAll(dir, "docs lives elsewhere");
    const source = makeSource({ demo: { "1.0.0": { manifest: { questions: [] }, files: { "docs/guide.md": "# Guide\n" } } } });
    await expectRefused(
      ["adopt", "demo", "--source", source, "--yes", "--apply"],
      dir,
      world,
      /docs\/guide\.md: docs is a symlink where paved needs a directory/,
    );
  });

  it("a template regex that backtracks exponentially runs in linear time over a large file", async () => {
    const { dir } = await demoRepo({ "big.txt": `${"a".repeat(200_000)}!\n` });
    const source = makeSource({
      demo: {
        "1.0.0": {
          manifest: {
            questions: [{ name: "x", type: "input", message: "X", default: "none", infer: [{ file: "big.txt", regex: "^(a+)+$" }] }],
          },
        },
      },
    });
    const result = await runCli(["adopt", "demo", "--source", source, "--yes", "--dry-run", "--json"], { cwd: dir, timeout: 60_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as AdoptJson).answers).toEqual({ x: "none" });
    // A backtracking engine would not finish this in the lifetime of the machine; the timeout is the test's safety net.
  });
});
