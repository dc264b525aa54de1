/**
 * The last mile of an upgrade (issues 12 and 20): release notes in every surface, plans that do not stop at a
 * conflict, kept files that need a person, --continue/--abort, --verify, the lockfile, and outputs that agree
 * with their exit codes. Small templates built in the test; the real service template is in
 * service-upgrade-lastmile.test.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { git, runCli, snapshotDir } from "../helpers.js";
import { commitAll, makeSource, newService } from "../upgrade/fixtures.js";

const read = (dir: string, p: string) => readFileSync(path.join(dir, p), "utf8");
const write = (dir: string, p: string, text: string) => {
  mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
  writeFileSync(path.join(dir, p), text);
};
const STACK = /\n\s+at .*\.js:\d+/;
const status = async (dir: string) => (await git(dir, ["status", "--porcelain"])).stdout;
const worktree = (dir: string) => Object.fromEntries(Object.entries(snapshotDir(dir)).filter(([k]) => !k.startsWith(".git/")));

/** 1.0.0 -> 1.1.0 (changes a.txt, notes and an action) -> 2.0.0 (adds b.txt, deletes sa.yaml that kustomization.yaml used). */
function releasesSource(extra: Record<string, unknown> = {}): string {
  return makeSource({
    "1.0.0": {
      manifest: { changelog: "First release.", ...extra },
      files: {
        "a.txt": "x\n",
        "sa.yaml": "kind: ServiceAccount\n",
        "kustomization.yaml": "resources:\n  - sa.yaml\n  - app.yaml\n",
        "app.yaml": "kind: Deployment\n",
      },
    },
    "1.1.0": {
      manifest: { changelog: "Minor: a.txt says y.", actions: ["Tell the on-call rota about y."], ...extra },
      files: {
        "a.txt": "y\n",
        "sa.yaml": "kind: ServiceAccount\n",
        "kustomization.yaml": "resources:\n  - sa.yaml\n  - app.yaml\n",
        "app.yaml": "kind: Deployment\n",
      },
    },
    "2.0.0": {
      manifest: {
        changelog: "Major: the ServiceAccount lives in app.yaml.",
        actions: ["Move your sa.yaml annotations into app.yaml."],
        ...extra,
      },
      files: {
        "a.txt": "y\n",
        "b.txt": "b\n",
        "kustomization.yaml": "resources:\n  - app.yaml\n",
        "app.yaml": "kind: ServiceAccount\n---\nkind: Deployment\n",
      },
    },
  });
}

describe("release notes in every upgrade surface", () => {
  it("--check, --dry-run, the run itself, --json and the --commit message carry every crossed version's changelog and actions", async () => {
    const dir = await newService(releasesSource(), "1.0.0");

    const check = await runCli(["upgrade", dir, "--check"]);
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toContain("svc 1.1.0\n  Minor: a.txt says y.\n  Action needed:\n    - [ ] Tell the on-call rota about y.");
    expect(check.stdout).toContain("svc 2.0.0\n  Major: the ServiceAccount lives in app.yaml.");
    expect(check.stdout).not.toContain("First release.");

    const checkJson = await runCli(["upgrade", dir, "--check", "--json"]);
    expect(checkJson.exitCode).toBe(1);
    const checked = JSON.parse(String(checkJson.stdout));
    expect(checked.ok).toBe(false); // agrees with the exit code
    expect(checked.releaseNotes.map((n: { version: string; actions: string[] }) => [n.version, n.actions])).toEqual([
      ["1.1.0", ["Tell the on-call rota about y."]],
      ["2.0.0", ["Move your sa.yaml annotations into app.yaml."]],
    ]);

    const dry = await runCli(["upgrade", dir, "--dry-run", "--accept-kept"]);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout.indexOf("Release notes:")).toBeLessThan(dry.stdout.indexOf("svc 1.0.0 -> 1.1.0"));
    expect(dry.stdout).toContain("Major: the ServiceAccount lives in app.yaml.");

    const run = await runCli(["upgrade", dir, "--commit", "--accept-kept", "--json"]);
    expect(run.exitCode).toBe(0);
    const report = JSON.parse(String(run.stdout));
    expect(report.ok).toBe(true);
    expect(report.releaseNotes.map((n: { version: string }) => n.version)).toEqual(["1.1.0", "2.0.0"]);
    const message = (await git(dir, ["log", "-1", "--format=%B"])).stdout;
    expect(message).toMatch(/^Upgrade svc from 1\.0\.0 to 2\.0\.0\n/);
    expect(message).toContain(
      "## svc 1.1.0\n  Minor: a.txt says y.\n  Action needed:\n    - [ ] Tell the on-call rota about y.\n\n## svc 2.0.0\n  Major: the ServiceAccount lives in app.yaml.",
    );
  });
});

describe("outputs agree with exit codes", () => {
  it("--dry-run plans every step after a conflicting one and exits 1 as the real run would", async () => {
    const dir = await newService(releasesSource(), "1.0.0");
    write(dir, "a.txt", "team\n");
    await commitAll(dir);
    const before = worktree(dir);
    const dry = await runCli(["upgrade", dir, "--dry-run", "--json", "--accept-kept"]);
    expect(dry.exitCode).toBe(1);
    const plan = JSON.parse(String(dry.stdout));
    expect(plan.ok).toBe(false);
    expect(plan.steps).toEqual([
      { from: "1.0.0", to: "1.1.0" },
      { from: "1.1.0", to: "2.0.0", afterConflicts: true },
    ]);
    expect(plan.conflicts).toEqual([{ path: "a.txt", kind: "content", regions: 1, step: "1.0.0->1.1.0" }]);
    expect(plan.actions).toContainEqual(expect.objectContaining({ path: "b.txt", action: "create", step: "1.1.0->2.0.0" }));
    const human = await runCli(["upgrade", dir, "--dry-run", "--accept-kept"]);
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toContain("svc 1.1.0 -> 2.0.0 (planned as if the conflicts above were resolved keeping your lines)");
    expect(human.stdout).toContain("1 file would conflict; the upgrade would stop at 1.1.0.");
    expect(worktree(dir)).toEqual(before);

    const real = await runCli(["upgrade", dir]);
    expect(real.exitCode).toBe(1);
  });

  it("stages the upgrade the same way whether it conflicted or not", async () => {
    const clean = await newService(releasesSource(), "1.0.0");
    expect((await runCli(["upgrade", clean, "--to", "1.1.0"])).exitCode).toBe(0);
    expect((await git(clean, ["diff", "--name-only"])).stdout).toBe(""); // nothing left unstaged
    expect((await git(clean, ["diff", "--cached", "--name-only"])).stdout.split("\n").sort()).toEqual([".paved.yml", "a.txt"]);

    const conflicted = await newService(releasesSource(), "1.0.0");
    write(conflicted, "app.yaml", "kind: Deployment # team\n");
    write(conflicted, "a.txt", "team\n");
    await commitAll(conflicted);
    expect((await runCli(["upgrade", conflicted, "--to", "1.1.0"])).exitCode).toBe(1);
    expect(await status(conflicted)).toBe("M  .paved.yml\nUU a.txt");
  });

  it("diff --quiet prints nothing and exits 1 on drift; --json's ok follows the exit code", async () => {
    const dir = await newService(releasesSource(), "1.0.0");
    write(dir, "a.txt", "drift\n");
    const quiet = await runCli(["diff", dir, "--exit-code", "--quiet"]);
    expect(quiet.exitCode).toBe(1);
    expect(quiet.stdout).toBe("");
    expect((await runCli(["diff", dir, "--quiet"])).exitCode).toBe(1); // as git: --quiet implies --exit-code
    const json = await runCli(["diff", dir, "--exit-code", "--json"]);
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(String(json.stdout))).toMatchObject({ ok: false, drifted: true });
    const plain = await runCli(["diff", dir, "--json"]);
    expect(plain.exitCode).toBe(0);
    expect(JSON.parse(String(plain.stdout))).toMatchObject({ ok: true, drifted: true });
  });
});

describe("kept files that no longer count", () => {
  it("a file the template deleted but the team edited is an action needed (exit 1) naming what used it; --accept-kept lets it pass", async () => {
    const dir = await newService(releasesSource(), "1.1.0");
    write(dir, "sa.yaml", "kind: ServiceAccount\nmetadata:\n  annotations: { iam: team-role }\n");
    await commitAll(dir);
    const run = await runCli(["upgrade", dir]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      "✗ action needed: sa.yaml: the template no longer has this file, so your edits in it no longer take effect; in the old version kustomization.yaml referenced it.",
    );
    expect(run.stdout).toContain("- [ ] Move your sa.yaml annotations into app.yaml.");
    expect(read(dir, "sa.yaml")).toContain("team-role");
    expect(read(dir, ".paved.yml")).toContain("version: 2.0.0");
    // The upgrade is applied but waits for a person: --abort undoes it.
    expect((await runCli(["upgrade", dir, "--abort"])).exitCode).toBe(0);
    expect(await status(dir)).toBe("");

    const json = await runCli(["upgrade", dir, "--json", "--accept-kept"]);
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(String(json.stdout))).toMatchObject({
      ok: true,
      kept: [{ path: "sa.yaml", referencedBy: ["kustomization.yaml"], accepted: true }],
    });
  });
});

describe("--abort and --continue", () => {
  it("--abort after conflicts restores the tree, the index and .paved.yml; git status is clean", async () => {
    const dir = await newService(releasesSource(), "1.0.0");
    write(dir, "a.txt", "team\n");
    await commitAll(dir);
    const before = worktree(dir);
    expect((await runCli(["upgrade", dir])).exitCode).toBe(1);
    expect(await status(dir)).toContain("UU a.txt");
    const again = await runCli(["upgrade", dir]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain("paved upgrade --continue");

    const abort = await runCli(["upgrade", dir, "--abort"]);
    expect(abort.exitCode).toBe(0);
    expect(abort.stdout).toContain(".paved.yml records 1.0.0 again");
    expect(await status(dir)).toBe("");
    expect(worktree(dir)).toEqual(before);
    expect(read(dir, ".paved.yml")).toContain("version: 1.0.0");

    const none = await runCli(["upgrade", dir, "--abort"]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toBe(
      `error: --abort: no paved upgrade is in progress in ${dir}\nfix: an upgrade is in progress only after \`paved upgrade\` stopped for conflicts, kept files or a failed --verify`,
    );
    expect(none.stderr).not.toMatch(STACK);
    // The flag is data for --json readers; the line above is built from it.
    const noneJson = await runCli(["upgrade", dir, "--abort", "--json"]);
    expect(noneJson.exitCode).toBe(2);
    const { error: noneError } = JSON.parse(noneJson.stdout);
    expect(noneError).toMatchObject({ message: `--abort: no paved upgrade is in progress in ${dir}`, code: "user" });
    expect(noneError.fields).toEqual({ flag: "--abort" });
  });

  it("--continue refuses while conflicts remain, then commits with the release notes and goes on to the target", async () => {
    const dir = await newService(releasesSource(), "1.0.0");
    write(dir, "a.txt", "team\n");
    await commitAll(dir);
    expect((await runCli(["upgrade", dir, "--accept-kept"])).exitCode).toBe(1);

    const early = await runCli(["upgrade", dir, "--continue"]);
    expect(early.exitCode).toBe(2);
    expect(early.stderr).toContain("--continue: 1 file is not resolved yet: a.txt");
    expect(early.stderr).not.toMatch(STACK);
    const earlyJson = await runCli(["upgrade", dir, "--continue", "--json"]);
    expect(earlyJson.exitCode).toBe(2);
    const { error: earlyError } = JSON.parse(earlyJson.stdout);
    expect(earlyError.message).toBe("--continue: 1 file is not resolved yet: a.txt");
    expect(earlyError.fields).toEqual({ flag: "--continue" });

    write(dir, "a.txt", "team and y\n");
    await git(dir, ["add", "a.txt"]);
    const resumed = await runCli(["upgrade", dir, "--continue", "--accept-kept"]);
    expect(resumed.stderr).not.toContain("error");
    expect(resumed.exitCode).toBe(0);
    const log = (await git(dir, ["log", "--format=%B%x00"])).stdout.split("\0");
    expect(log[0]).toMatch(/^Upgrade svc from 1\.0\.0 to 1\.1\.0\n/);
    expect(log[0]).toContain("## svc 1.1.0\n  Minor: a.txt says y.");
    expect(read(dir, ".paved.yml")).toContain("version: 2.0.0");
    expect(read(dir, "a.txt")).toBe("team and y\n");
    expect(read(dir, "b.txt")).toBe("b\n");
  });
});

describe("--set alone changes answers at the recorded version (issue 20)", () => {
  it("re-renders at 1.1.0, says so, and commits as a change of answers; --latest also upgrades", async () => {
    const source = makeSource({
      "1.1.0": { files: { "owner.txt": "{{owner}}\n" } },
      "2.0.0": { files: { "owner.txt": "{{owner}}\n", "new.txt": "new\n" } },
    });
    const dir = await newService(source, "1.1.0");
    const set = await runCli(["upgrade", dir, "--set", "owner=team-b", "--commit"]);
    expect(set.exitCode).toBe(0);
    expect(set.stderr).toContain("re-rendering");
    expect(set.stderr).toContain("at svc 1.1.0 with changed answers (the version stays; add --latest or --to to upgrade too)");
    expect(read(dir, ".paved.yml")).toContain("version: 1.1.0");
    expect(read(dir, "owner.txt")).toBe("team-b\n");
    expect(existsSync(path.join(dir, "new.txt"))).toBe(false);
    expect((await git(dir, ["log", "-1", "--format=%s"])).stdout).toBe("Change answers of svc 1.1.0: owner team-a -> team-b");

    const both = await runCli(["upgrade", dir, "--set", "owner=team-c", "--latest", "--commit"]);
    expect(both.exitCode).toBe(0);
    expect(read(dir, ".paved.yml")).toContain("version: 2.0.0");
    expect(read(dir, "owner.txt")).toBe("team-c\n");
    expect((await git(dir, ["log", "-1", "--format=%s"])).stdout).toBe("Upgrade svc from 1.1.0 to 2.0.0 (answers: owner team-b -> team-c)");
  });
});

describe("--verify", () => {
  const verifying = (testCommand: string) =>
    makeSource({
      "1.0.0": { files: { "a.txt": "x\n" } },
      "1.1.0": { manifest: { test: [{ run: testCommand, shell: true }] }, files: { "a.txt": "y\n" } },
    });

  it("runs the template's test commands after the merge; a failure is exit 1 with the command's tail, and --commit does not commit", async () => {
    const dir = await newService(verifying("echo checking; echo 'alerts.test.yml: LatencyP99High did not fire' >&2; exit 3"), "1.0.0");
    const head = (await git(dir, ["rev-parse", "HEAD"])).stdout;
    const before = worktree(dir);
    const untrusted = await runCli(["upgrade", dir, "--verify"]);
    expect(untrusted.exitCode).toBe(2);
    expect(untrusted.stderr).toContain("would run commands:\n  echo checking;");
    expect(untrusted.stderr).not.toMatch(STACK);
    expect(worktree(dir)).toEqual(before);

    const run = await runCli(["upgrade", dir, "--verify", "--trust", "--commit"]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      "✗ verification failed: `echo checking; echo 'alerts.test.yml: LatencyP99High did not fire' >&2; exit 3` exited with 3; its last lines:\n    checking\n    alerts.test.yml: LatencyP99High did not fire",
    );
    expect((await git(dir, ["rev-parse", "HEAD"])).stdout).toBe(head);
    expect(read(dir, "a.txt")).toBe("y\n");
    expect((await runCli(["upgrade", dir, "--abort"])).exitCode).toBe(0);
    expect(await status(dir)).toBe("");

    const anyway = await runCli(["upgrade", dir, "--verify", "--trust", "--commit", "--commit-on-failure", "--json"]);
    expect(anyway.exitCode).toBe(1);
    const report = JSON.parse(String(anyway.stdout));
    expect(report.ok).toBe(false);
    expect(report.verify).toMatchObject({ ok: false, failure: { why: "exited with 3" } });
    expect(report.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it("a passing verify is reported, and `verify: true` in .pavedrc.yml turns it on", async () => {
    const dir = await newService(verifying("echo all good"), "1.0.0");
    write(path.dirname(dir), ".pavedrc.yml", "verify: true\n");
    const run = await runCli(["upgrade", dir, "--trust", "--json"]);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(String(run.stdout)).verify).toMatchObject({
      ok: true,
      commands: [{ command: "echo all good", ok: true, exitCode: 0 }],
    });
  });
});

describe("lockfile", () => {
  const lockSource = () =>
    makeSource({
      "1.0.0": { files: { "deps.txt": "left-pad 1\n" } },
      "1.1.0": {
        manifest: {
          lockfile: {
            command: {
              run: "node -e \"require('fs').writeFileSync('deps.lock', 'locked: ' + require('fs').readFileSync('deps.txt', 'utf8'))\"",
            },
            files: ["deps.lock"],
          },
        },
        files: { "deps.txt": "left-pad 2\n" },
      },
    });

  it("upgrade refreshes the declared lockfile after the merge and commits it with the upgrade; a non-builtin source needs --trust", async () => {
    const dir = await newService(lockSource(), "1.0.0");
    write(dir, "deps.lock", "locked: left-pad 1\n");
    await commitAll(dir);
    const before = worktree(dir);
    const refused = await runCli(["upgrade", dir]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("would run commands:");
    expect(refused.stderr).not.toMatch(STACK);
    expect(worktree(dir)).toEqual(before);

    const run = await runCli(["upgrade", dir, "--trust", "--commit", "--json"]);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(String(run.stdout)).lockfile).toMatchObject({ files: ["deps.lock"], changed: ["deps.lock"] });
    expect(read(dir, "deps.lock")).toBe("locked: left-pad 2\n");
    expect((await git(dir, ["show", "--name-only", "--format=", "HEAD"])).stdout.split("\n").sort()).toEqual([
      ".paved.yml",
      "deps.lock",
      "deps.txt",
    ]);
    expect(await status(dir)).toBe("");
  });

  it("an upgrade that leaves the lockfile's inputs alone does not refresh it (and needs no --trust for it)", async () => {
    const source = makeSource({
      "1.0.0": {
        manifest: { lockfile: { command: 'node -e "process.exit(9)"', files: ["deps.lock"], inputs: ["deps.txt"] } },
        files: { "deps.txt": "left-pad 1\n", "a.txt": "1\n" },
      },
      "1.1.0": {
        manifest: { lockfile: { command: 'node -e "process.exit(9)"', files: ["deps.lock"], inputs: ["deps.txt"] } },
        files: { "deps.txt": "left-pad 1\n", "a.txt": "2\n" },
      },
    });
    const dir = await newService(source, "1.0.0", ["--no-install"]);
    const run = await runCli(["upgrade", dir, "--json"]);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(String(run.stdout)).lockfile).toBeNull();
  });

  it("new creates a missing lockfile after its hooks; with --no-install only given --lockfile, else it says what is missing", async () => {
    const withLock = await newService(lockSource(), "1.1.0", ["--no-install", "--lockfile", "--trust"]);
    expect(read(withLock, "deps.lock")).toBe("locked: left-pad 2\n");
    expect((await git(withLock, ["ls-files", "deps.lock"])).stdout).toBe("deps.lock");

    const target = path.join(path.dirname(withLock), "without");
    const without = await runCli(["new", "svc", target, "--source", lockSource(), "--version", "1.1.0", "--yes", "--no-install"]);
    expect(without.exitCode).toBe(0);
    expect(existsSync(path.join(target, "deps.lock"))).toBe(false);
    expect(without.stderr).toContain(
      "deps.lock was not created (--no-install skipped it; pass --lockfile to create it without installing)",
    );
    expect(without.stdout).toContain('&& git add deps.lock && git commit -m "Add deps.lock"');
  });
});

describe("--quiet prints nothing on stdout (the exit code answers)", () => {
  it("for new, templates, upgrade --check, --dry-run, upgrade and diff (doctor --quiet prints only problems, as documented)", async () => {
    const src = releasesSource();
    const dir = await newService(src, "1.0.0");
    write(dir, "a.txt", "team\n");
    await commitAll(dir, "team edit");
    const target = path.join(path.dirname(dir), "quiet-new");
    const created = await runCli(["new", "svc", target, "--source", src, "--version", "1.0.0", "--yes", "--quiet", "--no-git"]);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stdout).toBe("");
    const runs = [
      { args: ["templates", "--source", src, "--quiet"], code: 0 },
      { args: ["upgrade", dir, "--check", "--quiet"], code: 1 },
      { args: ["upgrade", dir, "--dry-run", "--quiet"], code: 1 },
      { args: ["diff", dir, "--quiet"], code: 1 },
      { args: ["upgrade", dir, "--quiet"], code: 1 },
    ];
    for (const run of runs) {
      const result = await runCli(run.args);
      expect(result.exitCode, `${run.args.join(" ")}: ${result.stderr}`).toBe(run.code);
      expect(result.stdout, run.args.join(" ")).toBe("");
      expect(result.stderr).not.toMatch(STACK);
    }
  });
});
