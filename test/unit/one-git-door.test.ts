import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { gitFailure } from "../../src/git/run.js";

const SRC = path.join(import.meta.dirname, "..", "..", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** Ways of starting git directly: any process API given "git" as the program, and simple-git. */
const STARTS_GIT = [/\b(?:execa|execaSync|spawn|spawnSync|execFile|execFileSync|exec|execSync)\s*\(\s*["'`]git["'`]/, /["']simple-git["']/];

/** src/git/ is the one door: one error mapping (a one-line UserError quoting git, URLs redacted), one Ctrl-C path. */

describe("one git module", () => {
  it("no code outside src/git/ starts git itself", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const relative = path.relative(SRC, file).split(path.sep).join("/");
      if (relative.startsWith("git/")) continue;
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (STARTS_GIT.some((pattern) => pattern.test(line))) offenders.push(`${relative}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });

  it("a failure names git's command, past any `-c name=value` and `-C dir` before it", () => {
    const stderr = "hint: something\nfatal: the reason\n";
    expect(gitFailure("/r", ["-c", "core.bigFileThreshold=1", "add", "--all"], stderr, 128).message).toBe(
      "git add failed in /r: fatal: the reason",
    );
    expect(gitFailure("/r", ["-C", "sub", "-c", "a=b", "--no-pager", "commit", "-m", "x"], stderr, 1).message).toBe(
      "git commit failed in /r: fatal: the reason",
    );
    expect(gitFailure("/r", ["status"], "", 1).message).toBe("git status failed in /r: exited with 1");
  });
});
