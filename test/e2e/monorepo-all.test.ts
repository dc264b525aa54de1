import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateSarif } from "../doctor/sarif-schema.js";
import { git, runCli, snapshotDir, tempDir } from "../helpers.js";
import { commitAll, makeSource } from "../upgrade/fixtures.js";

const STACK = /\n\s+at .*\.js:\d+/;
const read = (dir: string, p: string) => readFileSync(path.join(dir, p), "utf8");
const write = (dir: string, p: string, text: string) => {
  mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
  writeFileSync(path.join(dir, p), text);
};
/** Every file under `dir` but .git, with its bytes: "untouched" means equal snapshots. */
const files = (dir: string) =>
  Object.fromEntries(Object.entries(snapshotDir(dir)).filter(([k]) => !k.startsWith(".git/") && k !== ".git/"));

function source(): string {
  return makeSource({
    "1.0.0": {
      manifest: { files: { managed: ["ci.yml"] } },
      files: { "a.txt": "1\n", "ci.yml": "steps: [test]\n", "README.md": "# {{name}}\n" },
    },
    "1.1.0": {
      manifest: { files: { managed: ["ci.yml"] } },
      files: { "a.txt": "2\n", "ci.yml": "steps: [test, doctor]\n", "README.md": "# {{name}}\n", "new.txt": "new\n" },
    },
  });
}

/** A monorepo (one git repository) holding two services made at 1.0.0 in packages/svc-a and packages/svc-b. */
async function monorepo(): Promise<{ root: string; src: string }> {
  const src = source();
  const root = tempDir("paved-monorepo-");
  await git(root, ["init", "-q"]);
  write(root, "README.md", "the monorepo\n");
  for (const name of ["svc-a", "svc-b"]) {
    const made = await runCli([
      "new",
      "svc",
      path.join(root, "packages", name),
      "--source",
      src,
      "--version",
      "1.0.0",
      "--yes",
      "--no-git",
    ]);
    expect(made.exitCode, String(made.stderr)).toBe(0);
  }
  await commitAll(root, "two services");
  return { root, src };
}

describe("monorepos: upgrade, diff and doctor per service and for every service (--all)", () => {
  it("`paved upgrade packages/svc-a --commit` upgrades svc-a only, and its commit holds svc-a's paths only", async () => {
    const { root } = await monorepo();
    const svcBBefore = files(path.join(root, "packages", "svc-b"));
    // Something of the team's staged in svc-b: it must stay staged, out of the upgrade's commit.
    write(root, "packages/svc-b/notes.txt", "work in progress\n");
    await git(root, ["add", "packages/svc-b/notes.txt"]);

    const result = await runCli(["upgrade", "packages/svc-a", "--commit"], { cwd: root });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(read(root, "packages/svc-a/a.txt")).toBe("2\n");
    expect(read(root, "packages/svc-a/.paved.yml")).toContain("version: 1.1.0");
    const committed = (await git(root, ["show", "--name-only", "--format=", "HEAD"])).stdout.trim().split("\n").sort();
    expect(committed).toEqual(["packages/svc-a/.paved.yml", "packages/svc-a/a.txt", "packages/svc-a/ci.yml", "packages/svc-a/new.txt"]);
    expect((await git(root, ["status", "--porcelain"])).stdout).toBe("A  packages/svc-b/notes.txt");
    // Two services' upgrades in one log: the subject says which.
    expect((await git(root, ["log", "-1", "--format=%s"])).stdout).toBe("packages/svc-a: Upgrade svc from 1.0.0 to 1.1.0");
    const { "notes.txt": _notes, ...svcBAfter } = files(path.join(root, "packages", "svc-b"));
    expect(svcBAfter).toEqual(svcBBefore);
  });

  it("`paved upgrade` at the root (no .paved.yml there) upgrades every service, reporting each; --json has one entry per path", async () => {
    const { root } = await monorepo();
    const human = await runCli(["upgrade", "--dry-run"], { cwd: root });
    expect(human.exitCode, String(human.stderr)).toBe(0);
    expect(human.stdout).toMatch(
      /== packages\/svc-a \(1\/2\)[\s\S]*svc 1\.0\.0 -> 1\.1\.0[\s\S]*== packages\/svc-b \(2\/2\)[\s\S]*svc 1\.0\.0 -> 1\.1\.0/,
    );
    expect(human.stdout).toContain("paved upgrade: 2 applications, 2 ok");

    const result = await runCli(["upgrade", "--all", "--commit", "--json"], { cwd: root });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const report = JSON.parse(String(result.stdout));
    expect(report).toMatchObject({ ok: true, exitCode: 0 });
    expect(report.applications.map((a: { path: string; from: string; to: string; ok: boolean }) => [a.path, a.from, a.to, a.ok])).toEqual([
      ["packages/svc-a", "1.0.0", "1.1.0", true],
      ["packages/svc-b", "1.0.0", "1.1.0", true],
    ]);
    for (const name of ["svc-a", "svc-b"]) expect(read(root, `packages/${name}/.paved.yml`)).toContain("version: 1.1.0");
    // One commit per service, each with its own paths.
    const log = (await git(root, ["log", "--format=%H", "-2"])).stdout.trim().split("\n");
    for (const [i, name] of ["svc-b", "svc-a"].entries()) {
      const touched = (await git(root, ["show", "--name-only", "--format=", log[i]!])).stdout.trim().split("\n");
      expect(
        touched.every((p) => p.startsWith(`packages/${name}/`)),
        touched.join(", "),
      ).toBe(true);
    }
    expect((await git(root, ["status", "--porcelain"])).stdout).toBe("");
  });

  it("one service that needs a person does not stop the others; the exit code is the worst of them", async () => {
    const { root } = await monorepo();
    write(root, "packages/svc-a/a.txt", "the team's\n");
    await commitAll(root);
    const result = await runCli(["upgrade", "--json"], { cwd: root });
    expect(result.exitCode, String(result.stderr)).toBe(1);
    const report = JSON.parse(String(result.stdout));
    expect(report.applications.map((a: { path: string; exitCode: number }) => [a.path, a.exitCode])).toEqual([
      ["packages/svc-a", 1],
      ["packages/svc-b", 0],
    ]);
    expect(report.applications[0].conflicts.map((c: { path: string }) => c.path)).toEqual(["a.txt"]);
    expect(read(root, "packages/svc-b/.paved.yml")).toContain("version: 1.1.0");
  });

  it("a service that refuses (exit 2) does not stop the others; --json gives its refusal's code and fields", async () => {
    const { root } = await monorepo();
    // 1.1.0 adds the file new.txt where svc-a's team has a directory.
    write(root, "packages/svc-a/new.txt/team.txt", "the team's\n");
    await commitAll(root);
    const before = files(root);
    const result = await runCli(["upgrade", "--json"], { cwd: root });
    expect(result.exitCode, String(result.stderr)).toBe(2);
    const report = JSON.parse(String(result.stdout));
    expect(report.applications.map((a: { path: string; exitCode: number }) => [a.path, a.exitCode])).toEqual([
      ["packages/svc-a", 2],
      ["packages/svc-b", 0],
    ]);
    expect(report.applications[0].error).toEqual({
      message: "packages/svc-a/new.txt: the template has a file there but your working tree has a directory; nothing was changed",
      hint: expect.any(String),
      code: "user",
      fields: { file: "packages/svc-a/new.txt" },
    });
    expect(read(root, "packages/svc-a/.paved.yml")).toContain("version: 1.0.0");
    expect(read(root, "packages/svc-b/.paved.yml")).toContain("version: 1.1.0");
    expect(files(root)["packages/svc-a/new.txt/team.txt"]).toBe(before["packages/svc-a/new.txt/team.txt"]);
    // The same line a person reads.
    const human = await runCli(["upgrade"], { cwd: root });
    expect(human.exitCode, String(human.stdout)).toBe(2);
    expect(String(human.stderr).split("\n")).toContain(`error: ${report.applications[0].error.message}`);
    expect(human.stderr).not.toMatch(STACK);
  });

  it("`paved diff` at the root lists every service under its path", async () => {
    const { root } = await monorepo();
    write(root, "packages/svc-b/ci.yml", "steps: [test, lint]\n");
    const human = await runCli(["diff", "--stat"], { cwd: root });
    expect(human.exitCode, String(human.stderr)).toBe(0);
    expect(human.stdout).toMatch(/== packages\/svc-a \(1\/2\)\n\n== packages\/svc-b \(2\/2\)\n ci\.yml \| 2 \+-/);
    const json = await runCli(["diff", "--json", "--exit-code"], { cwd: root });
    expect(json.exitCode).toBe(1);
    const report = JSON.parse(String(json.stdout));
    expect(report.applications.map((a: { path: string; drifted: boolean }) => [a.path, a.drifted])).toEqual([
      ["packages/svc-a", false],
      ["packages/svc-b", true],
    ]);
    // In a service's subfolder, the nearest .paved.yml upward is the service: that one only.
    write(root, "packages/svc-b/src/index.ts", "x\n");
    const inside = await runCli(["diff", "--json"], { cwd: path.join(root, "packages", "svc-b", "src") });
    expect(JSON.parse(String(inside.stdout))).toMatchObject({ drifted: true, files: [{ path: "ci.yml" }] });
  });

  it("`paved doctor` at the root reports both services with paths from the repository root, in every format", async () => {
    const { root } = await monorepo();
    write(root, "packages/svc-a/ci.yml", "steps: []\n");
    write(root, "packages/svc-b/ci.yml", "steps: [lint]\n");

    const sarif = await runCli(["doctor", "--format", "sarif", "--as-of", "2026-12-01"], { cwd: root });
    expect(sarif.exitCode, String(sarif.stderr)).toBe(1);
    expect(validateSarif(String(sarif.stdout))).toEqual([]);
    const log = JSON.parse(String(sarif.stdout));
    expect(log.runs).toHaveLength(1);
    const uris = log.runs[0].results.map(
      (r: { locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }) =>
        r.locations[0]!.physicalLocation.artifactLocation.uri,
    );
    expect(uris).toEqual(expect.arrayContaining(["packages/svc-a/ci.yml", "packages/svc-b/ci.yml"]));

    const github = await runCli(["doctor", "--format", "github", "--as-of", "2026-12-01"], { cwd: root });
    expect(github.stdout).toContain("::error file=packages/svc-a/ci.yml,");
    expect(github.stdout).toContain("::error file=packages/svc-b/ci.yml,");
    const gitlab = JSON.parse(String((await runCli(["doctor", "--format", "gitlab"], { cwd: root })).stdout)) as Array<{
      location: { path: string };
    }>;
    expect(gitlab.map((i) => i.location.path)).toEqual(expect.arrayContaining(["packages/svc-a/ci.yml", "packages/svc-b/ci.yml"]));
    const junit = String((await runCli(["doctor", "--format", "junit"], { cwd: root })).stdout);
    expect(junit).toContain('file="packages/svc-a/ci.yml"');
    expect(junit).toContain('file="packages/svc-b/ci.yml"');
    const json = JSON.parse(String((await runCli(["doctor", "--json"], { cwd: root })).stdout));
    expect(json).toMatchObject({ ok: false, exitCode: 1 });
    expect(json.applications.map((a: { path: string }) => a.path)).toEqual(["packages/svc-a", "packages/svc-b"]);
    expect(
      json.applications[1].findings.filter((f: { status: string }) => f.status === "fail").map((f: { file: string }) => f.file),
    ).toContain("packages/svc-b/ci.yml");

    // One service pointed at: the same root-relative paths.
    const one = await runCli(["doctor", "packages/svc-b", "--format", "github"], { cwd: root });
    expect(one.stdout).toContain("::error file=packages/svc-b/ci.yml,");
    expect(one.stdout).not.toContain("svc-a");
  });

  it("`paved doctor` at the root where no service can be checked: exit 2, each refusal on stderr, and every format still well-formed", async () => {
    const { root } = await monorepo();
    for (const name of ["svc-a", "svc-b"]) write(root, `packages/${name}/.paved.yml`, "template: [not, a, name]\n");
    const sarif = await runCli(["doctor", "--format", "sarif"], { cwd: root });
    expect(sarif.exitCode, String(sarif.stderr)).toBe(2);
    expect(String(sarif.stderr)).not.toMatch(STACK);
    expect(String(sarif.stderr)).not.toContain("paved hit a bug");
    expect(String(sarif.stderr)).toContain("packages/svc-a");
    expect(String(sarif.stderr)).toContain("packages/svc-b");
    expect(validateSarif(String(sarif.stdout))).toEqual([]);
    const run = JSON.parse(String(sarif.stdout)).runs[0];
    expect(run.results).toEqual([]);
    expect(run.tool.driver.version).toMatch(/^\d+\.\d+\.\d+/);
    for (const format of ["junit", "gitlab", "github", "json"]) {
      const result = await runCli(["doctor", "--format", format], { cwd: root });
      expect(result.exitCode, `${format}: ${String(result.stderr)}`).toBe(2);
      expect(String(result.stderr)).not.toContain("paved hit a bug");
    }
  });

  it("`paved diff` renders with {{paved.path}} as `paved new` did: no drift after new, and a root workflow's edit is drift", async () => {
    const root = tempDir("paved-monorepo-root-files-");
    await git(root, ["init", "-q"]);
    write(root, "README.md", "the monorepo\n");
    await commitAll(root, "start");
    const made = await runCli(["new", "service", "packages/ledger", "--yes", "--set", "owner=team-x", "--no-install"], { cwd: root });
    expect(made.exitCode, String(made.stderr)).toBe(0);
    await commitAll(root, "ledger");
    const clean = await runCli(["diff", "packages/ledger", "--json", "--exit-code"], { cwd: root });
    expect(clean.exitCode, String(clean.stdout)).toBe(0);
    write(root, ".github/workflows/ledger-ci.yml", `${read(root, ".github/workflows/ledger-ci.yml")}# edited\n`);
    const drifted = await runCli(["diff", "packages/ledger", "--json"], { cwd: root });
    expect(JSON.parse(String(drifted.stdout)).files.map((f: { path: string }) => f.path)).toEqual([
      "../../.github/workflows/ledger-ci.yml",
    ]);
  });

  it("`paved upgrade` of a service in a subdirectory renders with {{paved.path}} and upgrades the files it placed at the root there", async () => {
    const src = makeSource({
      "1.0.0": {
        manifest: { rootFiles: [".github/**"] },
        files: {
          "a.txt": "1\n",
          "where.txt": "root is {{paved.root}}\n",
          ".github/workflows/{{paved.dirName}}.yml": "on: [push]\npaths: {{paved.path}}\n",
        },
      },
      "1.1.0": {
        manifest: { rootFiles: [".github/**"] },
        files: {
          "a.txt": "2\n",
          "where.txt": "root is {{paved.root}}\n",
          ".github/workflows/{{paved.dirName}}.yml": "on: [push, pull_request]\npaths: {{paved.path}}\n",
        },
      },
    });
    const root = tempDir("paved-monorepo-upgrade-root-files-");
    await git(root, ["init", "-q"]);
    write(root, "README.md", "the monorepo\n");
    await commitAll(root, "start");
    const made = await runCli(["new", "svc", "packages/svc-a", "--source", src, "--version", "1.0.0", "--yes"], { cwd: root });
    expect(made.exitCode, String(made.stderr)).toBe(0);
    await commitAll(root, "svc-a");
    expect(read(root, ".github/workflows/svc-a.yml")).toBe("on: [push]\npaths: packages/svc-a\n");

    const result = await runCli(["upgrade", "packages/svc-a", "--json"], { cwd: root });
    expect(result.exitCode, String(result.stdout)).toBe(0);
    const report = JSON.parse(String(result.stdout));
    // Root files are merged too (before: left alone, so a new version's workflow never arrived), named from the service.
    expect(report.actions.map((a: { path: string; action: string }) => [a.path, a.action])).toEqual([
      ["../../.github/workflows/svc-a.yml", "update"],
      ["a.txt", "update"],
    ]);
    expect(read(root, "packages/svc-a/where.txt")).toBe("root is ../..\n");
    expect(existsSync(path.join(root, "packages", "svc-a", ".github"))).toBe(false);
    expect(read(root, ".github/workflows/svc-a.yml")).toBe("on: [push, pull_request]\npaths: packages/svc-a\n");
  });

  it("a repository with no service is exit 2 naming the fix, for upgrade, diff and doctor, and nothing is written", async () => {
    const root = tempDir("paved-no-services-");
    await git(root, ["init", "-q"]);
    write(root, "README.md", "nothing paved here\n");
    await commitAll(root, "plain");
    const before = snapshotDir(root);
    for (const args of [["upgrade"], ["upgrade", "--all"], ["diff"], ["doctor"], ["doctor", "--all", "--format", "sarif"]]) {
      const result = await runCli(args, { cwd: root });
      expect(result.exitCode, `${args.join(" ")}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(
        /^error: \. is not a paved service: no \.paved\.yml .*in the files git has below it\nfix: create a service with `paved new <template> <dir>`, or bring an existing one in with `paved adopt <template> \[dir\]`/,
      );
      expect(result.stderr).not.toMatch(STACK);
      expect(result.stdout).toBe("");
    }
    expect(snapshotDir(root)).toEqual(before);
  });

  it("--continue, --abort and --set work on one service: refused (exit 2) when several are selected", async () => {
    const { root } = await monorepo();
    const before = snapshotDir(root);
    for (const flag of [["--continue"], ["--abort"], ["--set", "owner=team-b"]]) {
      const result = await runCli(["upgrade", ...flag], { cwd: root });
      expect(result.exitCode, String(result.stderr)).toBe(2);
      expect(result.stderr).toContain(`error: ${flag[0]} works on one service, and 2 were found (packages/svc-a, packages/svc-b)`);
      expect(result.stderr).toContain(`fix: pass the service's directory, e.g. \`paved upgrade packages/svc-a ${flag[0]}\``);
      expect(result.stderr).not.toMatch(STACK);
    }
    expect(snapshotDir(root)).toEqual(before);
  });
});
