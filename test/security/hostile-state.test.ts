import { cpSync, existsSync, readdirSync, readFileSync, realpathSync, rmSync, statfsSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { git, listFiles, runCli, snapshotDir, tempDir, writeFiles } from "../helpers.js";
import { acquireLock } from "../../src/fs/lock.js";
import { makeSource } from "../template-fixtures.js";

/**
 * The state paved keeps about a repository while changing it (the upgrade journal, the lock, the staging
 * directory of `paved new`) must never be something a repository can forge or plant, must never outlive or
 * race its owner, and must never cost the user an edit. Every case spawns the real CLI.
 */
const STACK = /\n\s+at .*\.js:\d+/;

function workTree(root: string): Record<string, string> {
  return Object.fromEntries(listFiles(root).map((p) => [p, readFileSync(path.join(root, p)).toString("base64")]));
}

/** Paved files in a git dir (lock, journal, their temporaries). */
function pavedState(gitDir: string): string[] {
  return readdirSync(gitDir).filter((n) => n.startsWith("paved"));
}

async function serviceAt100(dir: string): Promise<string> {
  const created = await runCli(["new", "service", dir, "--version", "1.0.0", "--set", "owner=team-a", "--no-install"]);
  expect(created.exitCode, created.stderr).toBe(0);
  return dir;
}

async function commitAll(dir: string, message: string): Promise<void> {
  await git(dir, ["add", "-A"]);
  await git(dir, ["commit", "-qm", message]);
}

describe("the upgrade journal cannot be forged by the repository", () => {
  it("a journal committed beside a monorepo service (and a planted .tmp symlink) is never read or followed", async () => {
    const world = tempDir("paved-state-world-");
    writeFiles(world, { "outside/precious.txt": "do not touch\n", "victim.txt": "victim\n" });
    const mono = path.join(world, "mono");
    await serviceAt100(path.join(mono, "svc"));
    rmSync(path.join(mono, "svc", ".git"), { recursive: true, force: true });
    // Entry one makes x a symlink out of the service, entry two writes through it: what the old replay did.
    const forged = {
      pid: 999_999_999,
      entries: [
        { path: "x", original: { data: "", mode: 0o644, symlink: path.join(world, "outside") } },
        { path: "x/precious.txt", original: { data: Buffer.from("pwned\n").toString("base64"), mode: 0o644 } },
      ],
    };
    writeFiles(mono, { ".svc.paved.journal": JSON.stringify(forged) });
    symlinkSync(path.join(world, "victim.txt"), path.join(mono, ".svc.paved.journal.tmp"));
    await git(mono, ["init", "-q"]);
    await commitAll(mono, "monorepo");
    const outside = snapshotDir(path.join(world, "outside"));

    const result = await runCli(["upgrade", path.join(mono, "svc"), "--to", "1.1.0"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/restored/);
    expect(snapshotDir(path.join(world, "outside"))).toEqual(outside);
    expect(readFileSync(path.join(world, "victim.txt"), "utf8")).toBe("victim\n");
    expect(existsSync(path.join(mono, "svc", "x"))).toBe(false);
    expect(readFileSync(path.join(mono, ".svc.paved.journal"), "utf8")).toBe(JSON.stringify(forged));
    // The run's own journal and lock lived in the repository's git dir and are gone.
    expect(pavedState(path.join(mono, ".git"))).toEqual([]);
  });

  it("a journal entry that reaches out through a symlinked directory is refused before anything is touched", async () => {
    const world = tempDir("paved-state-world-");
    writeFiles(world, { "outside/precious.txt": "do not touch\n" });
    const svc = await serviceAt100(path.join(world, "svc"));
    symlinkSync(path.join(world, "outside"), path.join(svc, "docs-link"));
    await commitAll(svc, "a link");
    const head = (await git(svc, ["rev-parse", "HEAD"])).stdout.trim();
    // Well-formed and bound to this service and HEAD: only the path check can stop it.
    const journal = {
      format: 2,
      pid: 999_999_999,
      root: realpathSync(svc),
      head,
      entries: [
        {
          path: "docs-link/precious.txt",
          original: { data: Buffer.from("pwned\n").toString("base64"), mode: 0o644 },
          before: null,
          after: null,
        },
      ],
    };
    writeFileSync(path.join(svc, ".git", "paved.journal"), JSON.stringify(journal));
    const outside = snapshotDir(path.join(world, "outside"));

    const result = await runCli(["upgrade", svc, "--to", "1.1.0"]);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/paved\.journal names "docs-link\/precious\.txt", but docs-link is not a directory of the service/);
    expect(result.stderr).not.toMatch(STACK);
    expect(snapshotDir(path.join(world, "outside"))).toEqual(outside);
    expect((await git(svc, ["status", "--porcelain"])).stdout).toBe("");
    expect(existsSync(path.join(svc, ".git", "paved.journal"))).toBe(true);
  });
});

/** A template whose 1.1.0 runs a postUpgrade hook that waits (so a second run can be started meanwhile). */
function slowHookSource(): { source: string; started: string; release: string } {
  const control = tempDir("paved-state-hook-");
  const started = path.join(control, "started");
  const release = path.join(control, "release");
  const script = path.join(control, "hook.mjs");
  writeFileSync(
    script,
    `import { existsSync, writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(started)}, "");\n` +
      `const wait = () => (existsSync(${JSON.stringify(release)}) ? process.exit(0) : setTimeout(wait, 20));\nwait();\n`,
  );
  const source = makeSource({
    slow: {
      "1.0.0": { files: { "a.txt": "one\n" } },
      "1.1.0": { manifest: { hooks: { postUpgrade: [`node ${script}`] } }, files: { "a.txt": "two\n" } },
    },
  });
  return { source, started, release };
}

async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 600 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  expect(existsSync(file), `${file} never appeared`).toBe(true);
}

describe("concurrent upgrades", () => {
  it("the lock is held through postUpgrade hooks and --commit: a second run meanwhile refuses (exit 2)", async () => {
    const { source, started, release } = slowHookSource();
    const svc = path.join(tempDir("paved-state-"), "svc");
    const created = await runCli(["new", "slow", svc, "--source", source, "--version", "1.0.0"]);
    expect(created.exitCode, created.stderr).toBe(0);

    const first = runCli(["upgrade", svc, "--source", source, "--trust", "--commit"]);
    await waitFor(started);
    const second = await runCli(["upgrade", svc, "--source", source, "--trust", "--commit"]);
    writeFileSync(release, "");
    const done = await first;

    expect(second.exitCode, second.stderr).toBe(2);
    expect(second.stderr).toMatch(/another paved process \(pid \d+\) is working on /);
    expect(second.stderr).not.toMatch(STACK);
    expect(done.exitCode, done.stderr).toBe(0);
    expect((await git(svc, ["status", "--porcelain"])).stdout).toBe("");
    expect((await git(svc, ["log", "--format=%s"])).stdout.split("\n").filter((s) => s.startsWith("Upgrade"))).toHaveLength(1);
    expect(pavedState(path.join(svc, ".git"))).toEqual([]);
  }, 60_000);

  it("20 pairs of simultaneous upgrades: one upgrades, the other refuses or finds nothing to do; never UU, never backwards", async () => {
    const original = await serviceAt100(path.join(tempDir("paved-state-"), "svc"));
    const copies = Array.from({ length: 20 }, () => {
      const copy = path.join(tempDir("paved-state-pair-"), "svc");
      cpSync(original, copy, { recursive: true, verbatimSymlinks: true });
      return copy;
    });
    const refusals: string[] = [];
    // Five pairs at a time: enough overlap to race, without starving the machine.
    for (let batch = 0; batch < copies.length; batch += 5) {
      await Promise.all(
        copies.slice(batch, batch + 5).map(async (svc, k) => {
          const label = `pair ${batch + k}`;
          const pair = await Promise.all([0, 1].map(() => runCli(["upgrade", svc, "--to", "1.1.0", "--commit"])));
          for (const run of pair) {
            expect([0, 2], `${label}: ${run.stderr}`).toContain(run.exitCode);
            if (run.exitCode === 2) {
              expect(run.stderr, label).toMatch(/another paved process \(pid \d+\) is working on /);
              refusals.push(label);
            }
          }
          expect(
            pair.some((r) => r.exitCode === 0),
            label,
          ).toBe(true);
          expect((await git(svc, ["status", "--porcelain"])).stdout, label).toBe("");
          expect(readFileSync(path.join(svc, ".paved.yml"), "utf8"), label).toMatch(/^version: 1\.1\.0$/m);
          const upgrades = (await git(svc, ["log", "--format=%s"])).stdout.split("\n").filter((s) => s.startsWith("Upgrade"));
          expect(upgrades, label).toHaveLength(1);
          expect(pavedState(path.join(svc, ".git")), label).toEqual([]);
        }),
      );
    }
    expect(refusals.length).toBeGreaterThan(0);
  }, 300_000);

  it("doctor --fix holds the same lock: it refuses while an upgrade is running", async () => {
    const { source, started, release } = slowHookSource();
    const svc = path.join(tempDir("paved-state-"), "svc");
    expect((await runCli(["new", "slow", svc, "--source", source, "--version", "1.0.0"])).exitCode).toBe(0);
    const first = runCli(["upgrade", svc, "--source", source, "--trust"]);
    await waitFor(started);
    const before = workTree(svc);
    const fix = await runCli(["doctor", svc, "--fix", "--source", source]);
    writeFileSync(release, "");
    expect((await first).exitCode).toBe(0);
    expect(fix.exitCode, fix.stderr).toBe(2);
    expect(fix.stderr).toMatch(/another paved process \(pid \d+\) is working on /);
    expect(fix.stderr).not.toMatch(STACK);
    expect(workTree(svc)).toEqual(before);
  }, 60_000);
});

describe("concurrent paved new into one target", () => {
  it("8 runs at once: exactly one creates it with its own files, the others exit 2, none crashes", async () => {
    const source = makeSource({
      mine: { "1.0.0": { manifest: { questions: [{ name: "who", type: "input", message: "Who" }] }, files: { "who.txt": "{{who}}\n" } } },
    });
    for (let round = 0; round < 3; round++) {
      const parent = tempDir("paved-state-new-");
      const target = path.join(parent, "work", "svc");
      const runs = await Promise.all(
        Array.from({ length: 8 }, (_, k) => runCli(["new", "mine", target, "--source", source, "--set", `who=run-${k}`])),
      );
      const label = `round ${round}: ${runs.map((r) => `${r.exitCode}`).join(",")}`;
      for (const run of runs) {
        expect([0, 2], `${label}: ${run.stderr}`).toContain(run.exitCode);
        expect(run.stderr).not.toMatch(STACK);
      }
      const winners = runs.flatMap((r, k) => (r.exitCode === 0 ? [k] : []));
      expect(winners, label).toHaveLength(1);
      expect(readFileSync(path.join(target, "who.txt"), "utf8")).toBe(`run-${winners[0]}\n`);
      expect(readFileSync(path.join(target, ".paved.yml"), "utf8")).toContain(`who: run-${winners[0]}`);
      expect((await git(target, ["status", "--porcelain"])).stdout).toBe("");
      expect(readdirSync(path.join(parent, "work"))).toEqual(["svc"]);
    }
  }, 180_000);
});

/** Mount a tmpfs (root only); returns undefined where mounting is not allowed. */
async function mountTmpfs(options: string): Promise<string | undefined> {
  const dir = tempDir("paved-mnt-");
  const result = await execa("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { reject: false });
  return result.exitCode === 0 ? dir : undefined;
}

/** Fill the file system at `dir` until only about `leaveKiB` are free. */
function fill(dir: string, leaveKiB: number): void {
  const stat = statfsSync(dir);
  const freeKiB = Math.floor((stat.bavail * stat.bsize) / 1024);
  writeFileSync(path.join(dir, "filler"), Buffer.alloc(Math.max(0, freeKiB - leaveKiB) * 1024));
}

describe("faults while writing", () => {
  it("a full disk during upgrade: exit 2 naming ENOSPC, the tree and .git as they were, no journal temp left", async (ctx) => {
    const mnt = await mountTmpfs("size=8m");
    if (!mnt) return ctx.skip("cannot mount a tmpfs here (needs root): full-disk case not run");
    try {
      const svc = await serviceAt100(path.join(mnt, "svc"));
      const before = workTree(svc);
      // No room for the lock; then room for the lock and the journal but not for the new files.
      for (const leaveKiB of [0, 12]) {
        rmSync(path.join(mnt, "filler"), { force: true });
        fill(mnt, leaveKiB);
        const result = await runCli(["upgrade", svc, "--to", "1.1.0"]);
        expect(result.exitCode, `${leaveKiB} KiB free: ${result.stderr}`).toBe(2);
        expect(result.stderr).toMatch(/no space left on the device \(ENOSPC\)/);
        expect(result.stderr).not.toMatch(STACK);
        expect(workTree(svc)).toEqual(before);
        expect(pavedState(path.join(svc, ".git"))).toEqual([]);
      }
    } finally {
      await execa("umount", [mnt], { reject: false });
    }
  }, 60_000);

  it("a read-only disk: upgrade and doctor --fix exit 2 naming EROFS, nothing written", async (ctx) => {
    const mnt = await mountTmpfs("size=16m");
    if (!mnt) return ctx.skip("cannot mount a tmpfs here (needs root): read-only case not run");
    try {
      const svc = await serviceAt100(path.join(mnt, "svc"));
      rmSync(path.join(svc, "CODEOWNERS"), { force: true });
      await execa("mount", ["-o", "remount,ro", mnt]);
      const before = snapshotDir(mnt);
      for (const args of [
        ["upgrade", svc, "--to", "1.1.0", "--allow-dirty"],
        ["doctor", svc, "--fix"],
      ]) {
        const result = await runCli(args);
        expect(result.exitCode, `${args.join(" ")}: ${result.stderr}`).toBe(2);
        expect(result.stderr).toMatch(/the file system is read-only \(EROFS\)/);
        expect(result.stderr).not.toMatch(STACK);
      }
      expect(snapshotDir(mnt)).toEqual(before);
    } finally {
      await execa("umount", [mnt], { reject: false });
    }
  }, 60_000);
});

describe("a .paved.yml that is not a regular file", () => {
  it("a FIFO .paved.yml: doctor, doctor --fix and upgrade exit 2 at once instead of hanging", async () => {
    const svc = await serviceAt100(path.join(tempDir("paved-state-"), "svc"));
    rmSync(path.join(svc, ".paved.yml"));
    await execa("mkfifo", [path.join(svc, ".paved.yml")]);
    for (const args of [
      ["doctor", svc],
      ["doctor", svc, "--fix"],
      ["upgrade", svc],
    ]) {
      const result = await runCli(args, { timeout: 20_000 });
      expect(result.timedOut, args.join(" ")).toBe(false);
      expect(result.exitCode, `${args.join(" ")}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/\.paved\.yml/);
      expect(result.stderr).not.toMatch(STACK);
    }
  }, 90_000);
});

describe("the lock file", () => {
  it("is removed only by its owner: a second release after another process took the lock leaves it alone", () => {
    const file = path.join(tempDir("paved-state-lock-"), "paved.lock");
    const releaseFirst = acquireLock(file, "the test repository");
    releaseFirst();
    const releaseSecond = acquireLock(file, "the test repository");
    const held = readFileSync(file, "utf8");
    releaseFirst(); // the double release commands/upgrade.ts used to do
    expect(readFileSync(file, "utf8")).toBe(held);
    releaseSecond();
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(path.dirname(file))).toEqual([]);
  });
});
