import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { git, runCli, snapshotDir } from "../helpers.js";
import { commitAll, makeSource, newService } from "../upgrade/fixtures.js";

const worktree = (dir: string) =>
  Object.fromEntries(Object.entries(snapshotDir(dir)).filter(([k]) => !k.startsWith(".git/") && k !== ".git/"));

function leftovers(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === ".git") {
        if (readdirSync(path.join(d, e.name)).includes("paved.lock")) out.push(".git/paved.lock");
        continue;
      }
      if (e.name.startsWith(".paved-tmp-")) out.push(path.join(d, e.name));
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

describe("paved upgrade interrupted at random moments", () => {
  it("leaves either the tree as it was or the complete upgrade, never half of it, and no temporary files", async () => {
    const files = (v: string) => Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`pkg${i % 6}/file${i}.txt`, `${v} line ${i}\n`]));
    const source = makeSource({
      "1.0.0": { files: { ...files("one"), "team.txt": "a\nb\nc\nd\ne\n" } },
      "1.1.0": { files: { ...files("two"), "team.txt": "a\nb\nc\nd\nE\n", "added/new.txt": "new\n" } },
      "2.0.0": { files: { ...files("three"), "team.txt": "a\nb\nc\nd\nE\nf\n", "added/new.txt": "newer\n" } },
    });
    const dir = await newService(source, "1.0.0");
    writeFileSync(path.join(dir, "team.txt"), "A (team)\nb\nc\nd\ne\n");
    await commitAll(dir);
    const before = worktree(dir);

    const full = await runCli(["upgrade", dir]);
    expect(full.exitCode, String(full.stderr)).toBe(0);
    const after = worktree(dir);
    expect(after).not.toEqual(before);

    const outcomes = { untouched: 0, upgraded: 0 };
    for (const delay of [0, 60, 120, 180, 240, 300, 360, 420, 500, 600, 750, 900]) {
      await git(dir, ["reset", "-q", "--hard"]);
      await git(dir, ["clean", "-q", "-fdx"]);
      expect(worktree(dir)).toEqual(before);
      const child = runCli(["upgrade", dir]);
      setTimeout(() => child.kill(delay % 120 === 0 ? "SIGTERM" : "SIGINT"), delay);
      const result = await child;
      const now = worktree(dir);
      if (JSON.stringify(now) === JSON.stringify(before)) outcomes.untouched++;
      else {
        expect(now, `after a kill at ${delay} ms (exit ${result.exitCode}) the tree is half upgraded`).toEqual(after);
        outcomes.upgraded++;
      }
      expect(leftovers(dir)).toEqual([]);
    }
    console.log(`interrupts: ${outcomes.untouched} left the tree untouched, ${outcomes.upgraded} came after the upgrade completed`);
    expect(outcomes.untouched).toBeGreaterThan(0);
  });
});
