import { cpSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { git, listFiles, ROOT, runCli, tempDir, writeFiles } from "../helpers.js";

/** Every file of the work tree (not .git) with its bytes. */
function workTree(root: string): Record<string, string> {
  return Object.fromEntries(listFiles(root).map((p) => [p, readFileSync(path.join(root, p)).toString("base64")]));
}

/** The environment that arms a test-only failpoint: the preload sets the hook; the variable names the point. */
const FAILPOINT_PRELOAD = path.join(ROOT, "test", "support", "failpoints.mjs");
function failpointEnv(name: string): Record<string, string> {
  return { NODE_OPTIONS: `--import=${FAILPOINT_PRELOAD}`, PAVED_FAILPOINT: name };
}

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function serviceAt100(): Promise<string> {
  const dir = path.join(tempDir("paved-kill-up-"), "svc");
  const created = await runCli(["new", "service", dir, "--version", "1.0.0", "--set", "owner=team-a", "--no-install"]);
  expect(created.exitCode, created.stderr).toBe(0);
  writeFiles(dir, { "src/team.ts": "export const team = 'ours';\n" });
  await git(dir, ["add", "-A"]);
  await git(dir, ["commit", "-qm", "team edit"]);
  return dir;
}

function copyOf(dir: string): string {
  const copy = path.join(tempDir("paved-kill-up-"), "svc");
  cpSync(dir, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

describe("killing paved upgrade", () => {
  it("SIGKILL halfway through writing: the next run restores the tree from the journal and finishes the upgrade", async () => {
    const original = await serviceAt100();
    const before = workTree(original);
    const reference = copyOf(original);
    const clean = await runCli(["upgrade", reference, "--to", "1.1.0"]);
    expect(clean.exitCode, clean.stderr).toBe(0);

    const victim = copyOf(original);
    const killed = await runCli(["upgrade", victim, "--to", "1.1.0"], { env: failpointEnv("upgrade-apply-sigkill") });
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(path.join(victim, ".git", "paved.journal"))).toBe(true);
    const half = workTree(victim);
    expect(half).not.toEqual(before);
    expect(half).not.toEqual(workTree(reference));

    const rerun = await runCli(["upgrade", victim, "--to", "1.1.0"]);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/an earlier paved upgrade was killed while writing; restored \d+ paths/);
    expect(workTree(victim)).toEqual(workTree(reference));
    expect((await git(victim, ["status", "--porcelain"])).stdout).toBe((await git(reference, ["status", "--porcelain"])).stdout);
    expect(existsSync(path.join(victim, ".git", "paved.journal"))).toBe(false);
  });

  it("a stale journal never destroys an edit made since: the next run refuses (exit 2) and touches nothing", async () => {
    const victim = await serviceAt100();
    const killed = await runCli(["upgrade", victim, "--to", "1.1.0"], { env: failpointEnv("upgrade-apply-sigkill") });
    expect(killed.signal).toBe("SIGKILL");
    const journal = JSON.parse(readFileSync(path.join(victim, ".git", "paved.journal"), "utf8")) as {
      entries: { path: string; original: unknown }[];
    };
    // As the hint of an interrupted run suggests: restore tracked files with git, then keep working.
    await git(victim, ["checkout", "."]);
    const edited = journal.entries.find((e) => e.original !== null && e.path !== ".paved.yml")!.path;
    writeFiles(victim, { [edited]: "my edit after the crash\n" });
    const before = workTree(victim);

    const rerun = await runCli(["upgrade", victim, "--to", "1.1.0"]);
    expect(rerun.exitCode, rerun.stderr).toBe(2);
    expect(rerun.stderr).toContain(`changed since (${edited}`);
    expect(rerun.stderr).toMatch(/nothing was changed/);
    expect(rerun.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(readFileSync(path.join(victim, edited), "utf8")).toBe("my edit after the crash\n");
    expect(workTree(victim)).toEqual(before);
    expect(existsSync(path.join(victim, ".git", "paved.journal"))).toBe(true);
  });

  it("PAVED_FAILPOINT alone does nothing: the release CLI never arms a failpoint from its environment", async () => {
    const victim = await serviceAt100();
    const result = await runCli(["upgrade", victim, "--to", "1.1.0"], { env: { PAVED_FAILPOINT: "upgrade-apply-sigkill" } });
    expect(result.signal).toBeUndefined();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readFileSync(path.join(victim, ".paved.yml"), "utf8")).toMatch(/^version: 1\.1\.0$/m);
  });

  it("SIGKILL at 10 random moments: untouched, upgraded, or restored by the next run — never half", async () => {
    const original = await serviceAt100();
    const before = workTree(original);
    const reference = copyOf(original);
    const started = Date.now();
    expect((await runCli(["upgrade", reference, "--to", "1.1.0"])).exitCode).toBe(0);
    const duration = Date.now() - started;
    const after = workTree(reference);
    const random = lcg(Number(process.env.PAVED_KILL_SEED ?? 4242));
    for (let i = 0; i < 10; i++) {
      const victim = copyOf(original);
      const delay = Math.floor(duration * (0.3 + random() * 0.9));
      const child = runCli(["upgrade", victim, "--to", "1.1.0"]);
      await new Promise((r) => setTimeout(r, delay));
      child.kill("SIGKILL");
      await child;
      const label = `case ${i}: SIGKILL after ${delay} ms`;
      const now = workTree(victim);
      const journal = existsSync(path.join(victim, ".git", "paved.journal"));
      expect(journal || JSON.stringify(now) === JSON.stringify(before) || JSON.stringify(now) === JSON.stringify(after), label).toBe(true);
      const rerun = await runCli(["upgrade", victim, "--to", "1.1.0"]);
      expect(rerun.exitCode, `${label}: ${rerun.stderr}`).toBe(0);
      expect(workTree(victim), label).toEqual(after);
    }
  }, 180_000);
});
