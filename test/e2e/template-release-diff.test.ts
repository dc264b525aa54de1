import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_TEMPLATES, git, listFiles, runCli, snapshotDir, tempDir, writeFiles } from "../helpers.js";

const ANSWERS = ["--set", "owner=team-a", "--set", "name=payments-api", "--set", "ci=gitlab"];
const noStack = /\n\s+at .*\.js:\d+/;

/** The service's files as a map, without git's folder and .paved.yml (which upgrade writes and diff does not cover). */
function filesOf(dir: string): Record<string, string> {
  const snapshot = snapshotDir(dir);
  return Object.fromEntries(Object.entries(snapshot).filter(([p]) => !p.startsWith(".git/") && p !== ".git" && p !== ".paved.yml"));
}

async function newService(root: string, version: string): Promise<string> {
  const dir = path.join(root, "payments-api");
  const made = await runCli(["new", "service", dir, "--version", version, "--yes", "--no-install", ...ANSWERS]);
  expect(made.exitCode, made.stderr).toBe(0);
  return dir;
}

describe("paved template diff", () => {
  it("between two built-in versions equals what paved upgrade does to a service that never edited its files", async () => {
    const diff = await runCli([
      "template",
      "diff",
      path.join(BUILTIN_TEMPLATES, "service"),
      "--from",
      "1.1.0",
      "--to",
      "2.0.0",
      ...ANSWERS,
      "--json",
    ]);
    expect(diff.exitCode, diff.stderr).toBe(0);
    const report = JSON.parse(diff.stdout) as {
      files: Array<{ path: string; action: string; managed: boolean; binary: boolean; patch: string }>;
      conflicts: string[];
    };
    expect(report.conflicts).toEqual([]);
    expect(report.files.length).toBeGreaterThan(3);
    expect(report.files.some((f) => f.managed)).toBe(true);

    // One service upgraded by paved upgrade...
    const upgraded = await newService(tempDir(), "1.1.0");
    const up = await runCli(["upgrade", upgraded, "--to", "2.0.0", "--yes", "--no-lockfile"]);
    expect(up.exitCode, up.stderr).toBe(0);
    // ...and the same service with template diff's patches applied by git.
    const patched = await newService(tempDir(), "1.1.0");
    const patchFile = path.join(tempDir(), "release.patch");
    writeFileSync(patchFile, report.files.map((f) => (f.patch.endsWith("\n") ? f.patch : `${f.patch}\n`)).join(""));
    await git(patched, ["apply", "--whitespace=nowarn", patchFile]);
    expect(filesOf(patched)).toEqual(filesOf(upgraded));

    // The files listed are exactly the files upgrade changed.
    const changed = String((await git(upgraded, ["status", "--porcelain", "--untracked-files=all"])).stdout)
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(3))
      .filter((p) => p !== ".paved.yml");
    const renamedOrListed = new Set(report.files.map((f) => f.path));
    for (const p of changed) expect(renamedOrListed.has(p.includes(" -> ") ? p.split(" -> ")[1]! : p)).toBe(true);
  });

  it("refuses an unknown version with exit 2, one line, no stack", async () => {
    const result = await runCli(["template", "diff", path.join(BUILTIN_TEMPLATES, "service"), "--from", "1.9.0"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--from 1\.9\.0: service has no such version/);
    expect(result.stderr).not.toMatch(noStack);
  });
});

describe("paved template preview", () => {
  it("lists the rendered files with sizes, or writes them to --out through the safe writer", async () => {
    const dir = path.join(BUILTIN_TEMPLATES, "service", "2.0.0");
    const listed = await runCli(["template", "preview", dir, ...ANSWERS, "--json"]);
    expect(listed.exitCode, listed.stderr).toBe(0);
    const report = JSON.parse(listed.stdout) as { files: Array<{ path: string; bytes: number }> };
    expect(report.files.find((f) => f.path === ".gitlab-ci.yml")?.bytes).toBeGreaterThan(0);
    expect(report.files.some((f) => f.path === ".github/workflows/ci.yml")).toBe(false);

    const out = path.join(tempDir(), "preview");
    const written = await runCli(["template", "preview", dir, ...ANSWERS, "--out", out]);
    expect(written.exitCode, written.stderr).toBe(0);
    expect(listFiles(out).sort()).toEqual(report.files.map((f) => f.path).sort());
  });

  it("refuses an --out that is not empty, writing nothing", async () => {
    const out = writeFiles(path.join(tempDir(), "busy"), { "keep.txt": "mine\n" });
    const before = snapshotDir(out);
    const result = await runCli(["template", "preview", path.join(BUILTIN_TEMPLATES, "service", "2.0.0"), ...ANSWERS, "--out", out]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split("\n")[0]).toMatch(/not empty/);
    expect(result.stderr).not.toMatch(noStack);
    expect(snapshotDir(out)).toEqual(before);
  });
});
