import { chmodSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { git, runCli, tempDir } from "../helpers.js";
import { makeSource, newService } from "../upgrade/fixtures.js";

const MODULES = 40;

/** 1.0.0 -> 2.0.0 changes every module and a CRLF text file that .gitattributes stores with LF. */
function source(): string {
  const version = (n: number) => ({
    files: {
      ".gitattributes": "*.txt text eol=lf\n",
      "notes.txt": n === 1 ? "one\r\ntwo\r\n" : "one\r\ntwo\r\nthree\r\n",
      ...Object.fromEntries(
        Array.from({ length: MODULES }, (_, i) => [`src/module${i}.ts`, `export const module${i} = "{{name}} v${n}";\n`]),
      ),
    },
  });
  return makeSource({ "1.0.0": version(1), "2.0.0": version(2) });
}

/** Loose objects and packs in the repository's object store. */
async function objectStore(dir: string): Promise<{ loose: number; packs: number }> {
  const counts = Object.fromEntries(
    (await git(dir, ["count-objects", "-v"])).stdout.split("\n").map((l) => l.split(": ") as [string, string]),
  );
  return { loose: Number(counts.count), packs: Number(counts.packs) };
}

async function gitVersion(): Promise<[number, number]> {
  const m = /(\d+)\.(\d+)/.exec((await git(tempDir(), ["version"])).stdout);
  return [Number(m?.[1]), Number(m?.[2])];
}

/** A `git` on PATH that logs each call's arguments, and may claim another version; everything else is the real git. */
async function recordingGit(claimVersion?: string): Promise<{ bin: string; calls: () => string[] }> {
  const bin = tempDir();
  const log = path.join(bin, "git.log");
  const real = (await execa("sh", ["-c", "command -v git"])).stdout.trim();
  const claim = claimVersion ? `if [ "$1" = version ]; then echo 'git version ${claimVersion}'; exit 0; fi\n` : "";
  writeFileSync(path.join(bin, "git"), `#!/bin/sh\nprintf '%s\\n' "$*" | head -n 1 >> '${log}'\n${claim}exec '${real}' "$@"\n`);
  chmodSync(path.join(bin, "git"), 0o755);
  return { bin, calls: () => readFileSync(log, "utf8").trim().split("\n") };
}

async function upgraded(env: Record<string, string> = {}) {
  const target = await newService(source(), "1.0.0");
  const before = await objectStore(target);
  const result = await runCli(["upgrade", target, "--to", "2.0.0", "--yes"], { env });
  expect(result.exitCode, String(result.stderr)).toBe(0);
  return { target, before, after: await objectStore(target) };
}

describe("what an upgrade stages", () => {
  it("the files as git itself would stage them (.gitattributes converts), and the new blobs in one pack where git allows", async () => {
    const { target, before, after } = await upgraded();
    // Staged, and nothing left unstaged: the index holds what the working tree holds, as git sees it.
    const status = (await git(target, ["status", "--porcelain"])).stdout.split("\n");
    expect(status).toContain("M  notes.txt");
    expect(status.filter((l) => l.startsWith("M  src/module"))).toHaveLength(MODULES);
    expect(status.filter((l) => l[1] !== " ")).toEqual([]);
    // Stored with LF as .gitattributes asks; the working tree keeps the bytes paved wrote.
    expect((await git(target, ["cat-file", "-p", ":notes.txt"])).stdout).toBe("one\ntwo\nthree");
    expect(readFileSync(path.join(target, "notes.txt"), "utf8")).toBe("one\r\ntwo\r\nthree\r\n");
    const [major, minor] = await gitVersion();
    if (major > 2 || (major === 2 && minor >= 37)) {
      // The modules in one new pack; notes.txt, which git converts, loose as always (git streams only what it
      // does not convert).
      expect(after).toEqual({ loose: before.loose + 1, packs: before.packs + 1 });
    } else {
      expect(after.packs).toBe(before.packs);
      expect(after.loose).toBeGreaterThan(before.loose + MODULES);
    }
    const fsck = await git(target, ["fsck", "--strict", "--no-dangling", "--full"]);
    expect(fsck.stdout + fsck.stderr).toBe("");
  });

  it("a git older than 2.37 (whose update-index would write a pack per blob) stores loose objects, as it always did", async () => {
    const recorder = await recordingGit("2.36.6");
    const { target, before, after } = await upgraded({ PATH: `${recorder.bin}${path.delimiter}${process.env.PATH ?? ""}` });
    const updateIndex = recorder.calls().filter((c) => c.includes("update-index --add --remove"));
    expect(updateIndex).toEqual(["update-index --add --remove -z --stdin"]);
    expect(after.packs).toBe(before.packs);
    expect(after.loose).toBeGreaterThan(before.loose + MODULES);
    expect(readdirSync(path.join(target, ".git", "objects", "pack")).filter((f) => f.endsWith(".pack"))).toHaveLength(before.packs);
    expect((await git(target, ["cat-file", "-p", ":notes.txt"])).stdout).toBe("one\ntwo\nthree");
  });

  it("git 2.37 and later is asked for one pack, once", async () => {
    const recorder = await recordingGit();
    await upgraded({ PATH: `${recorder.bin}${path.delimiter}${process.env.PATH ?? ""}` });
    const [major, minor] = await gitVersion();
    const updateIndex = recorder.calls().filter((c) => c.includes("update-index --add --remove"));
    expect(updateIndex).toEqual([
      major > 2 || (major === 2 && minor >= 37)
        ? "-c core.bigFileThreshold=1 update-index --add --remove -z --stdin"
        : "update-index --add --remove -z --stdin",
    ]);
    expect(recorder.calls().filter((c) => c === "version")).toHaveLength(1);
  });
});
