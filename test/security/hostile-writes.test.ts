import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { applyAtomically, treeChanges } from "../../src/upgrade/apply.js";
import type { FileTree } from "../../src/tree.js";
import { git, runCli, snapshotDir, tempDir, writeFiles } from "../helpers.js";
import { makeSource } from "../template-fixtures.js";
import { snapshotWorld } from "./world-snapshot.js";

/**
 * Every write paved makes refuses to go through a symlink or into .git (SECURITY.md, "Writes: symlinks, .git and
 * temp files"). Each case builds the hostile template or repository in the test, spawns the real CLI, and asserts the
 * victim outside the service (or in its .git) is untouched.
 */
const STACK = /\n\s+at .*\.js:\d+/;

function world(): { root: string; target: string; marker: string } {
  const root = tempDir("paved-world-");
  writeFiles(root, { "precious.txt": "do not touch" });
  return { root, target: path.join(root, "svc"), marker: path.join(root, "pwned") };
}

/** The repro from issue 11 item 1: a managed file whose folder renders to `x` when the secret is empty. */
function hostileConfigTemplate(marker: string, withDotGitLink: boolean): string {
  const root = makeSource({
    evil: {
      "1.0.0": {
        manifest: {
          questions: [{ name: "token", type: "input", message: "Token", secret: true, required: false, default: "" }],
          files: { managed: ["**/config"] },
        },
        files: { "{{#if token}}cfg{{else}}x{{/if}}/config": `[core]\n\tfsmonitor = "touch ${marker}"\n`, "README.md": "hi\n" },
      },
    },
  });
  if (withDotGitLink) symlinkSync(".git", path.join(root, "evil/1.0.0/files/x"));
  return root;
}

function gitState(target: string): { config: string; hooks: Record<string, string> } {
  return { config: readFileSync(path.join(target, ".git/config"), "utf8"), hooks: snapshotDir(path.join(target, ".git/hooks")) };
}

describe("writes never go through a symlink into .git", () => {
  it("a template symlink to .git is refused when the template loads (new writes nothing)", async () => {
    const w = world();
    const src = hostileConfigTemplate(w.marker, true);
    const before = snapshotDir(w.root);
    const result = await runCli(["new", "evil", w.target, "--source", src, "--set", "token=s3cret"]);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/files\/x: symlink to "\.git" points into \.git/);
    expect(result.stderr).not.toMatch(STACK);
    expect(snapshotDir(w.root)).toEqual(before);
  });

  it("the full repro: doctor --fix with an empty secret never writes .git/config (link added to the template later)", async () => {
    const w = world();
    const src = hostileConfigTemplate(w.marker, false);
    const created = await runCli(["new", "evil", w.target, "--source", src, "--set", "token=s3cret"]);
    expect(created.exitCode, created.stderr).toBe(0);
    symlinkSync(".git", path.join(src, "evil/1.0.0/files/x"));
    const before = gitState(w.target);
    const fixed = await runCli(["doctor", w.target, "--fix"]);
    expect(fixed.stderr).not.toMatch(STACK);
    // Doctor reports a template it cannot load as a finding (exit 1) and fixes nothing.
    expect(fixed.exitCode, fixed.stdout + fixed.stderr).toBe(1);
    expect(fixed.stdout).toMatch(/files\/x: symlink to "\.git" points into \.git/);
    expect(gitState(w.target)).toEqual(before);
    await git(w.target, ["status"]);
    expect(existsSync(w.marker)).toBe(false);
  });

  it("doctor --fix never restores the secret-dependent path through a symlink to .git committed in the service", async () => {
    // The repro: the secret is not recorded, so doctor does not render the file that reads it at all
    // (it used to render it as x/config); .git stays as it was either way.
    const w = world();
    const src = hostileConfigTemplate(w.marker, false);
    const created = await runCli(["new", "evil", w.target, "--source", src, "--set", "token=s3cret"]);
    expect(created.exitCode, created.stderr).toBe(0);
    symlinkSync(".git", path.join(w.target, "x"));
    await git(w.target, ["add", "x"]);
    await git(w.target, ["commit", "-qm", "link"]);
    const before = gitState(w.target);
    const fixed = await runCli(["doctor", w.target, "--fix"]);
    expect(fixed.stderr).not.toMatch(STACK);
    expect([0, 1, 2]).toContain(fixed.exitCode);
    expect(gitState(w.target)).toEqual(before);
    await git(w.target, ["status"]);
    expect(existsSync(w.marker)).toBe(false);
  });

  it("doctor --fix refuses to write a managed file through a symlink to .git committed in the service", async () => {
    const w = world();
    const src = makeSource({
      evil: {
        "1.0.0": {
          manifest: { files: { managed: ["**/config"] } },
          files: { "x/config": `[core]\n\tfsmonitor = "touch ${w.marker}"\n`, "README.md": "hi\n" },
        },
      },
    });
    const created = await runCli(["new", "evil", w.target, "--source", src]);
    expect(created.exitCode, created.stderr).toBe(0);
    await git(w.target, ["rm", "-rq", "x"]);
    symlinkSync(".git", path.join(w.target, "x"));
    await git(w.target, ["add", "x"]);
    await git(w.target, ["commit", "-qm", "link"]);
    const before = gitState(w.target);
    const fixed = await runCli(["doctor", w.target, "--fix"]);
    expect(fixed.stderr).not.toMatch(STACK);
    expect(fixed.exitCode, fixed.stdout + fixed.stderr).toBe(2);
    expect(fixed.stderr).toMatch(/x\/config: x is a symlink/);
    expect(gitState(w.target)).toEqual(before);
    await git(w.target, ["status"]);
    expect(existsSync(w.marker)).toBe(false);
  });

  it("doctor --fix creates no directory outside the service through a symlinked directory", async () => {
    const w = world();
    const src = makeSource({
      svc: { "1.0.0": { manifest: { files: { managed: ["deploy/**"] } }, files: { "deploy/sub/app.yaml": "replicas: 2\n" } } },
    });
    const created = await runCli(["new", "svc", w.target, "--source", src]);
    expect(created.exitCode, created.stderr).toBe(0);
    mkdirSync(path.join(w.root, "outside"));
    await git(w.target, ["rm", "-rq", "deploy"]);
    symlinkSync("../outside", path.join(w.target, "deploy"));
    await git(w.target, ["add", "deploy"]);
    await git(w.target, ["commit", "-qm", "link"]);
    const before = snapshotWorld(w.root);
    const fixed = await runCli(["doctor", w.target, "--fix"]);
    expect(fixed.stderr).not.toMatch(STACK);
    expect(fixed.exitCode, fixed.stdout + fixed.stderr).toBe(2);
    expect(fixed.stderr).toMatch(/deploy\/sub\/app\.yaml: deploy is a symlink/);
    expect(snapshotWorld(w.root)).toEqual(before);
  });
});

describe("dot-git variants and symlink chains", () => {
  it.each([".GIT/hooks/post-commit", ".git./hooks/x", ".git /hooks/x", "sub/.Git./config", "a/.git/config", "GIT~1/config"])(
    "a rendered path %j is refused",
    async (rendered) => {
      const w = world();
      const src = makeSource({
        evil: { "1.0.0": { manifest: { questions: [{ name: "p", type: "input", message: "P" }] }, files: { "{{p}}": "x" } } },
      });
      const before = snapshotDir(w.root);
      const result = await runCli(["new", "evil", w.target, "--source", src, "--set", `p=${rendered}`]);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/writes into \.git/);
      expect(result.stderr).not.toMatch(STACK);
      expect(snapshotDir(w.root)).toEqual(before);
    },
  );

  it.each([
    ["x", ".GIT"],
    ["x", ".git."],
    ["d/x", "../.Git /hooks"],
    ["x", "sub/../.git"],
  ])("a template symlink %s -> %j is refused at load", async (link, target) => {
    const w = world();
    const src = makeSource({ evil: { "1.0.0": { files: { "d/keep.txt": "k" } } } });
    symlinkSync(target, path.join(src, "evil/1.0.0/files", link));
    const before = snapshotDir(w.root);
    const result = await runCli(["new", "evil", w.target, "--source", src]);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/points into \.git/);
    expect(result.stderr).not.toMatch(STACK);
    expect(snapshotDir(w.root)).toEqual(before);
  });

  it("a symlink chain that resolves outside through another link is refused at load (issue 11 item 7)", async () => {
    const w = world();
    const src = makeSource({ evil: { "1.0.0": { files: { "top/keep.txt": "k", "d1/d2/d3/d4/d5/d6/d7/keep.txt": "k" } } } });
    const files = path.join(src, "evil/1.0.0/files");
    symlinkSync("../../../top", path.join(files, "d1/d2/d3/d4/d5/d6/d7/d8"));
    symlinkSync("d1/d2/d3/d4/d5/d6/d7/d8/../../../../../../../../etc/passwd", path.join(files, "passwd"));
    const before = snapshotDir(w.root);
    const result = await runCli(["new", "evil", w.target, "--source", src]);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/files\/passwd: symlink to "d1\/.*etc\/passwd" leaves the template/);
    expect(result.stderr).not.toMatch(STACK);
    expect(snapshotDir(w.root)).toEqual(before);
  });

  it("template lint reports a link to .git and a chain that leaves", async () => {
    const dir = tempDir("paved-lint-");
    writeFiles(dir, {
      "template.yaml": "name: evil\nversion: 1.0.0\ndescription: evil\n",
      "files/top/keep.txt": "k",
      "files/a/b/keep.txt": "k",
    });
    symlinkSync(".git.", path.join(dir, "files/x"));
    symlinkSync("../../top", path.join(dir, "files/a/b/up"));
    symlinkSync("a/b/up/../../etc/passwd", path.join(dir, "files/passwd"));
    const result = await runCli(["template", "lint", dir]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/files\/x.*symlink to "\.git\." points into \.git/);
    expect(result.stdout).toMatch(/files\/passwd.*symlink to "a\/b\/up\/\.\.\/\.\.\/etc\/passwd" leaves the template/);
  });
});

describe("planted temp files (issue 11 item 3)", () => {
  it("upgrade's temporaries never follow or reuse a committed file named like one", () => {
    const world = tempDir("paved-world-");
    const root = path.join(world, "svc");
    mkdirSync(root);
    writeFileSync(path.join(world, "victim.txt"), "victim\n", { mode: 0o600 });
    // Old temp names were `.paved-tmp-<pid>-<n>`: plant them for this process.
    for (let n = 0; n < 4; n++) symlinkSync("../victim.txt", path.join(root, `.paved-tmp-${process.pid}-${n}`));
    const before: FileTree = new Map([["README.md", { data: Buffer.from("old\n"), mode: 0o644 }]]);
    writeFileSync(path.join(root, "README.md"), "old\n");
    const after: FileTree = new Map([
      ["README.md", { data: Buffer.from("new\n"), mode: 0o755 }],
      ["b.txt", { data: Buffer.from("b\n"), mode: 0o644 }],
    ]);
    applyAtomically(root, treeChanges(before, after), before);
    expect(readFileSync(path.join(world, "victim.txt"), "utf8")).toBe("victim\n");
    expect(lstatSync(path.join(world, "victim.txt")).mode & 0o777).toBe(0o600);
    expect(lstatSync(path.join(root, "README.md")).isSymbolicLink()).toBe(false);
    expect(readFileSync(path.join(root, "README.md"), "utf8")).toBe("new\n");
    expect(lstatSync(path.join(root, "README.md")).mode & 0o777).toBe(0o755);
  });
});
