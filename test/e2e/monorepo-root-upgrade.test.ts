// Issue 16 follow-up: `paved upgrade` of a service in a subdirectory merges the files its template places at the
// repository root (`rootFiles`) too. Real git repositories, the real CLI; no mocks.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { git, listFiles, ROOT, runCli, tempDir } from "../helpers.js";
import { snapshotWorld } from "../security/world-snapshot.js";
import { commitAll, makeSource } from "../upgrade/fixtures.js";

const STACK = /\n\s+at .*\.js:\d+/;
const read = (dir: string, p: string) => readFileSync(path.join(dir, p), "utf8");
const write = (dir: string, p: string, text: string) => {
  mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
  writeFileSync(path.join(dir, p), text);
};
/** Every file of the work tree (not .git) with its bytes. */
const workTree = (dir: string) => Object.fromEntries(listFiles(dir).map((p) => [p, read(dir, p)]));
/** Every entry under `dir` but .git, symlinks as links: "untouched" means equal snapshots. */
const snapshot = (dir: string) => snapshotWorld(dir, (p) => p === ".git");
/** The files of one service and its root workflows: what "untouched" means for the other service. */
const serviceFiles = (dir: string, name: string) =>
  Object.fromEntries(
    Object.entries(workTree(dir)).filter(([p]) => p.startsWith(`packages/${name}/`) || p.startsWith(`.github/workflows/${name}-`)),
  );

const CI_V1 =
  "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n# for {{paved.path}}\n";
const CI_V2 = `${CI_V1}  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make lint\n`;

/**
 * 1.0.0 places a CI workflow and a release workflow at the root; 1.1.0 changes the CI workflow (adds a lint job),
 * drops the release workflow and adds a deploy workflow. `shared` (only with `overlap`) is a root file every
 * service of 1.1.0 would write under one name.
 */
function source(overlap = false): string {
  const rootFiles = [".github/**"];
  return makeSource({
    "1.0.0": {
      manifest: { rootFiles },
      files: {
        "a.txt": "1\n",
        ".github/workflows/{{paved.dirName}}-ci.yml": CI_V1,
        ".github/workflows/{{paved.dirName}}-release.yml": "release {{paved.dirName}}\n",
      },
    },
    "1.1.0": {
      manifest: { rootFiles },
      files: {
        "a.txt": "2\n",
        ".github/workflows/{{paved.dirName}}-ci.yml": CI_V2,
        ".github/workflows/{{paved.dirName}}-deploy.yml": "deploy {{paved.dirName}}\n",
        ...(overlap ? { ".github/CODEOWNERS": "* @{{paved.dirName}}\n" } : {}),
      },
    },
  });
}

/** A monorepo with svc-a and svc-b made by `paved new` at 1.0.0 in packages/, committed. */
async function monorepo(src = source()): Promise<string> {
  const root = tempDir("paved-root-upgrade-");
  await git(root, ["init", "-q", "--initial-branch", "main"]);
  write(root, "README.md", "the monorepo\n");
  await commitAll(root, "start");
  for (const name of ["svc-a", "svc-b"]) {
    const made = await runCli(["new", "svc", `packages/${name}`, "--source", src, "--version", "1.0.0", "--yes", "--commit"], {
      cwd: root,
    });
    expect(made.exitCode, String(made.stderr)).toBe(0);
  }
  expect(read(root, ".github/workflows/svc-a-ci.yml")).toContain("# for packages/svc-a\n");
  return root;
}

/** The team edits svc-a's root CI workflow (another runner for the test job) and commits it. */
async function teamEdit(
  root: string,
  from = "runs-on: ubuntu-latest\n    steps:\n      - run: make test",
  to = "runs-on: self-hosted\n    steps:\n      - run: make test",
) {
  write(root, ".github/workflows/svc-a-ci.yml", read(root, ".github/workflows/svc-a-ci.yml").replace(from, to));
  await commitAll(root, "team: self-hosted runner");
}

describe("paved upgrade of a service in a subdirectory upgrades its root files", () => {
  it("merges the root workflow (the team's edit kept), creates and deletes root files, records them, and --commit holds them; the other service is untouched", async () => {
    const root = await monorepo();
    await teamEdit(root);
    const svcB = serviceFiles(root, "svc-b");
    const headBefore = (await git(root, ["rev-parse", "HEAD"])).stdout.trim();

    const result = await runCli(["upgrade", "packages/svc-a", "--commit"], { cwd: root });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(result.stdout).toContain("merge     ../../.github/workflows/svc-a-ci.yml");
    expect(result.stdout).toContain("create    ../../.github/workflows/svc-a-deploy.yml");
    expect(result.stdout).toContain("delete    ../../.github/workflows/svc-a-release.yml");
    const ci = read(root, ".github/workflows/svc-a-ci.yml");
    expect(ci).toContain("runs-on: self-hosted\n    steps:\n      - run: make test"); // the team's edit
    expect(ci).toContain("  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make lint\n"); // the template's
    expect(read(root, ".github/workflows/svc-a-deploy.yml")).toBe("deploy svc-a\n");
    expect(existsSync(path.join(root, ".github/workflows/svc-a-release.yml"))).toBe(false);
    expect(existsSync(path.join(root, "packages/svc-a/.github"))).toBe(false);
    expect(parseYaml(read(root, "packages/svc-a/.paved.yml")).rootFiles).toEqual([
      ".github/workflows/svc-a-ci.yml",
      ".github/workflows/svc-a-deploy.yml",
    ]);
    // One commit on top, holding svc-a's folder and its root files, nothing of svc-b's; nothing left over.
    expect((await git(root, ["rev-parse", "HEAD~1"])).stdout.trim()).toBe(headBefore);
    const committed = (await git(root, ["show", "--name-status", "--format=", "HEAD"])).stdout.trim().split("\n");
    expect(committed.sort()).toEqual([
      "A\t.github/workflows/svc-a-deploy.yml",
      "D\t.github/workflows/svc-a-release.yml",
      "M\t.github/workflows/svc-a-ci.yml",
      "M\tpackages/svc-a/.paved.yml",
      "M\tpackages/svc-a/a.txt",
    ]);
    expect((await git(root, ["status", "--porcelain", "--untracked-files=all"])).stdout).toBe("");
    expect(serviceFiles(root, "svc-b")).toEqual(svcB);
    expect(parseYaml(read(root, "packages/svc-b/.paved.yml")).version).toBe("1.0.0");

    // Recorded as merged: `paved diff` sees exactly the team's edit, and a second upgrade has nothing to do.
    const diff = await runCli(["diff", "packages/svc-a", "--json"], { cwd: root });
    expect(JSON.parse(String(diff.stdout)).files.map((f: { path: string }) => f.path)).toEqual(["../../.github/workflows/svc-a-ci.yml"]);
    const again = await runCli(["upgrade", "packages/svc-a"], { cwd: root });
    expect(again.exitCode, String(again.stderr)).toBe(0);
    expect(again.stdout).toContain("nothing to do");
  });

  it("a conflicting root edit gets conflict markers and exit 1 (planned so by --dry-run); --abort puts everything back", async () => {
    const root = await monorepo();
    // The team added its own job where 1.1.0 adds lint: both sides changed the same place.
    write(root, ".github/workflows/svc-a-ci.yml", `${read(root, ".github/workflows/svc-a-ci.yml")}  e2e:\n    steps: []\n`);
    await commitAll(root, "team: e2e job");
    const before = workTree(root);

    const planned = await runCli(["upgrade", "packages/svc-a", "--dry-run"], { cwd: root });
    expect(planned.exitCode, String(planned.stderr)).toBe(1);
    expect(planned.stdout).toContain("conflict  ../../.github/workflows/svc-a-ci.yml");
    expect(workTree(root)).toEqual(before);

    const result = await runCli(["upgrade", "packages/svc-a"], { cwd: root });
    expect(result.exitCode, String(result.stderr)).toBe(1);
    expect(result.stderr).not.toMatch(STACK);
    expect(result.stdout).toContain("../../.github/workflows/svc-a-ci.yml (1 region)");
    const ci = read(root, ".github/workflows/svc-a-ci.yml");
    expect(ci).toMatch(/<<<<<<< yours \(svc 1\.0\.0\)\n {2}e2e:\n {4}steps: \[\]\n=======\n {2}lint:[\s\S]*>>>>>>> svc 1\.1\.0\n/);
    const status = (await git(root, ["status", "--porcelain"])).stdout;
    expect(status).toContain("UU .github/workflows/svc-a-ci.yml");
    expect(status).toContain("A  .github/workflows/svc-a-deploy.yml");

    const aborted = await runCli(["upgrade", "packages/svc-a", "--abort"], { cwd: root });
    expect(aborted.exitCode, String(aborted.stderr)).toBe(0);
    expect(workTree(root)).toEqual(before);
    expect((await git(root, ["status", "--porcelain", "--untracked-files=all"])).stdout).toBe("");
  });

  it("a new root file that is already on disk is a conflict, never overwritten; one another application records is refused (exit 2, nothing written)", async () => {
    const root = await monorepo(source(true));
    write(root, ".github/workflows/svc-a-deploy.yml", "the team's own deploy\n");
    await commitAll(root, "team: a deploy workflow of its own");
    const upgraded = await runCli(["upgrade", "packages/svc-a"], { cwd: root });
    expect(upgraded.exitCode, String(upgraded.stderr)).toBe(1);
    expect(upgraded.stdout).toMatch(/conflict {2}\.\.\/\.\.\/\.github\/workflows\/svc-a-deploy\.yml/);
    expect(read(root, ".github/workflows/svc-a-deploy.yml")).toContain("the team's own deploy\n");
    expect(read(root, ".github/workflows/svc-a-deploy.yml")).toContain(">>>>>>> svc 1.1.0");
    // svc-a resolved and committed at 1.1.0: it now records .github/CODEOWNERS.
    write(root, ".github/workflows/svc-a-deploy.yml", "the team's own deploy\n");
    await git(root, ["add", "-A"]);
    const continued = await runCli(["upgrade", "packages/svc-a", "--continue"], { cwd: root });
    expect(continued.exitCode, String(continued.stderr)).toBe(0);
    expect(parseYaml(read(root, "packages/svc-a/.paved.yml")).rootFiles).toContain(".github/CODEOWNERS");

    const before = workTree(root);
    const refused = await runCli(["upgrade", "packages/svc-b"], { cwd: root });
    expect(refused.exitCode, String(refused.stdout)).toBe(2);
    const errors = String(refused.stderr)
      .split("\n")
      .filter((l) => l.startsWith("error:"));
    expect(errors).toEqual(["error: .github/CODEOWNERS: svc at packages/svc-b would write it, but it belongs to svc at packages/svc-a"]);
    expect(refused.stderr).not.toMatch(STACK);
    expect(workTree(root)).toEqual(before);
    expect((await git(root, ["status", "--porcelain", "--untracked-files=all"])).stdout).toBe("");
  });

  it("an application not committed yet (untracked, not ignored) still owns its root files: the upgrade is refused", async () => {
    const root = await monorepo(source(true));
    // Made moments ago, not committed: its record already names the file.
    write(
      root,
      "packages/svc-c/.paved.yml",
      "template: svc\nsource: builtin\nversion: 1.1.0\nanswers: {}\nrootFiles:\n  - .github/CODEOWNERS\n",
    );
    const before = snapshot(root);
    const result = await runCli(["upgrade", "packages/svc-a"], { cwd: root });
    expect(result.exitCode, String(result.stdout)).toBe(2);
    expect(String(result.stderr)).toContain(
      "error: .github/CODEOWNERS: svc at packages/svc-a would write it, but it belongs to svc at packages/svc-c\n",
    );
    expect(result.stderr).not.toMatch(STACK);
    expect(snapshot(root)).toEqual(before);
  });

  it("a root folder that is a symlink (leading out of the repository) is never written through: exit 2, nothing written", async () => {
    const root = await monorepo();
    const outside = tempDir("paved-root-upgrade-outside-");
    renameSync(path.join(root, ".github", "workflows"), path.join(outside, "workflows"));
    symlinkSync(path.join(outside, "workflows"), path.join(root, ".github", "workflows"));
    await commitAll(root, "workflows kept elsewhere");
    const before = { inside: snapshot(root), outside: snapshot(outside) };
    // Refused before anything is planned (nothing read through the link either), in a dry run too.
    const planned = await runCli(["upgrade", "packages/svc-a", "--dry-run"], { cwd: root });
    expect(planned.exitCode, String(planned.stdout)).toBe(2);
    expect(planned.stdout).toBe("");
    const result = await runCli(["upgrade", "packages/svc-a"], { cwd: root });
    expect(result.exitCode, String(result.stdout)).toBe(2);
    const errors = String(result.stderr)
      .split("\n")
      .filter((l) => l.startsWith("error:"));
    expect(errors).toEqual([
      "error: .github/workflows/svc-a-ci.yml: .github/workflows is a symlink where paved needs a directory; paved never writes through one",
    ]);
    expect(result.stderr).not.toMatch(STACK);
    // The file is data for --json readers; the line above is built from it.
    const json = await runCli(["upgrade", "packages/svc-a", "--json"], { cwd: root });
    expect(json.exitCode).toBe(2);
    const { error } = JSON.parse(String(json.stdout));
    expect(`error: ${error.message}`).toBe(errors[0]);
    expect(error.fields).toEqual({ file: ".github/workflows/svc-a-ci.yml" });
    expect({ inside: snapshot(root), outside: snapshot(outside) }).toEqual(before);
    expect((await git(root, ["status", "--porcelain", "--untracked-files=all"])).stdout).toBe("");
  });

  it("SIGKILL halfway through writing: the next run restores the root files from the journal too, then finishes", async () => {
    const root = await monorepo();
    await teamEdit(root);
    const before = workTree(root);
    const killed = await runCli(["upgrade", "packages/svc-a"], {
      cwd: root,
      env: { NODE_OPTIONS: `--import=${path.join(ROOT, "test", "support", "failpoints.mjs")}`, PAVED_FAILPOINT: "upgrade-apply-sigkill" },
    });
    expect(killed.signal).toBe("SIGKILL");
    const journals = readdirSync(path.join(root, ".git")).filter((f) => f.endsWith(".journal"));
    expect(journals).toHaveLength(1);
    const journal = JSON.parse(read(root, path.join(".git", journals[0]!))) as { entries: { path: string }[] };
    expect(journal.entries.map((e) => e.path)).toContain(".github/workflows/svc-a-ci.yml");
    // Killed after the root files were placed, before the service's own.
    expect(read(root, ".github/workflows/svc-a-ci.yml")).not.toBe(before[".github/workflows/svc-a-ci.yml"]);

    const real = await runCli(["upgrade", "packages/svc-a"], { cwd: root });
    expect(real.exitCode, String(real.stderr)).toBe(0);
    expect(real.stderr).toMatch(/an earlier paved upgrade was killed while writing; restored \d+ paths/);
    expect(read(root, ".github/workflows/svc-a-ci.yml")).toContain("runs-on: self-hosted");
    expect(read(root, ".github/workflows/svc-a-ci.yml")).toContain("make lint");
    expect(readdirSync(path.join(root, ".git")).filter((f) => f.endsWith(".journal"))).toEqual([]);
  });
});
