import {
  cpSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { CLI_ENV, ROOT, tempDir } from "../helpers.js";

/** A copy of the built package (bin, dist without a cache, templates), so each test owns its dist/.v8-cache. */
function installCopy(): string {
  const dir = tempDir();
  for (const part of ["bin", "dist", "templates", "package.json"]) {
    cpSync(path.join(ROOT, part), path.join(dir, part), {
      recursive: true,
      filter: (source) => path.basename(source) !== ".v8-cache",
    });
  }
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

const cacheDir = (pkg: string) => path.join(pkg, "dist", ".v8-cache");
const cacheFiles = (pkg: string) => (existsSync(cacheDir(pkg)) ? readdirSync(cacheDir(pkg)).sort() : []);

async function paved(pkg: string, args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [path.join(pkg, "bin", "paved.cjs"), ...args], {
    env: { ...CLI_ENV, ...env },
    cwd: tempDir(),
    reject: false,
  });
}

const newService = (pkg: string) =>
  paved(pkg, ["new", "service", path.join(tempDir(), "svc"), "--yes", "--set", "owner=team-a", "--no-install", "--no-git", "--quiet"]);

const nodeKey = `${process.version}-${process.arch}`;

describe("the compile cache (bin/paved.cjs)", () => {
  it("is written once per command after it ran, then used as it is", async () => {
    const pkg = installCopy();
    expect((await paved(pkg, ["--version"])).exitCode).toBe(0);
    expect(cacheFiles(pkg)).toEqual([expect.stringMatching(new RegExp(`^other-${nodeKey}-[0-9a-z]+-\\d+-\\d+\\.bin$`))]);

    const first = await newService(pkg);
    expect(first.exitCode, first.stderr).toBe(0);
    const files = cacheFiles(pkg);
    expect(files).toHaveLength(2);
    const newCache = path.join(cacheDir(pkg), files.find((f) => f.startsWith("new-"))!);
    const written = statSync(newCache);
    expect(written.size).toBeGreaterThan(100_000);

    // V8 accepted it: a rejected cache is written anew (a new file renamed into place, so a new inode).
    const second = await newService(pkg);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(statSync(newCache).ino).toBe(written.ino);
    expect(statSync(newCache).mtimeMs).toBe(written.mtimeMs);
    expect(cacheFiles(pkg)).toHaveLength(2);
  });

  it("a cache made by a light run (`new --help`) is replaced once by the first real run, which compiled far more", async () => {
    const pkg = installCopy();
    expect((await paved(pkg, ["new", "--help"])).exitCode).toBe(0);
    const [file] = cacheFiles(pkg);
    const cache = path.join(cacheDir(pkg), file!);
    const light = statSync(cache);

    expect((await newService(pkg)).exitCode).toBe(0);
    const full = statSync(cache);
    expect(full.ino).not.toBe(light.ino);
    expect(full.size).toBeGreaterThan(light.size * 1.3);

    // From then on it is used as it is: the next runs compile no more than it was made with.
    for (let i = 0; i < 2; i++) {
      expect((await newService(pkg)).exitCode).toBe(0);
      expect(statSync(cache).ino).toBe(full.ino);
    }
    expect(cacheFiles(pkg)).toEqual([file]);
  });

  it("a damaged cache is rejected by V8: the command works and the cache is written anew", async () => {
    const pkg = installCopy();
    const clean = await newService(pkg);
    expect(clean.exitCode).toBe(0);
    const [file] = cacheFiles(pkg);
    const cache = path.join(cacheDir(pkg), file!);
    const good = statSync(cache).size;
    writeFileSync(cache, Buffer.alloc(good, 0x5a));

    const run = await newService(pkg);
    expect(run.exitCode, run.stderr).toBe(0);
    expect([run.stdout, run.stderr]).toEqual([clean.stdout, clean.stderr]);
    expect(readFileSync(cache).equals(Buffer.alloc(good, 0x5a))).toBe(false);
    expect(cacheFiles(pkg)).toEqual([file]);
  });

  it("does not follow a symlink at the cache's place, and replaces it with a file", async () => {
    const pkg = installCopy();
    expect((await newService(pkg)).exitCode).toBe(0);
    const [file] = cacheFiles(pkg);
    const cache = path.join(cacheDir(pkg), file!);
    const elsewhere = path.join(tempDir(), "not-a-cache");
    writeFileSync(elsewhere, "kept as it is\n");
    rmSync(cache);
    symlinkSync(elsewhere, cache);

    const run = await newService(pkg);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(readFileSync(elsewhere, "utf8")).toBe("kept as it is\n");
    expect(lstatSync(cache).isFile()).toBe(true);
  });

  it("a cache that cannot be written, or PAVED_COMPILE_CACHE=0, changes nothing but speed", async () => {
    const blocked = installCopy();
    const clean = await newService(installCopy());
    writeFileSync(cacheDir(blocked), "a file where the cache folder would be\n");
    const run = await newService(blocked);
    expect(run.exitCode, run.stderr).toBe(0);
    expect([run.stdout, run.stderr]).toEqual([clean.stdout, clean.stderr]);
    expect(readFileSync(cacheDir(blocked), "utf8")).toBe("a file where the cache folder would be\n");

    const off = installCopy();
    const quiet = await paved(
      off,
      ["new", "service", path.join(tempDir(), "svc"), "--yes", "--set", "owner=team-a", "--no-install", "--no-git"],
      {
        PAVED_COMPILE_CACHE: "0",
      },
    );
    expect(quiet.exitCode, quiet.stderr).toBe(0);
    expect(existsSync(cacheDir(off))).toBe(false);
  });

  it("a rebuilt dist/cli.cjs gets its own cache (the key holds its size and time)", async () => {
    const pkg = installCopy();
    expect((await paved(pkg, ["--version"])).exitCode).toBe(0);
    const before = cacheFiles(pkg);
    const cli = path.join(pkg, "dist", "cli.cjs");
    const later = new Date(statSync(cli).mtimeMs + 5_000);
    utimesSync(cli, later, later);
    expect((await paved(pkg, ["--version"])).exitCode).toBe(0);
    const after = cacheFiles(pkg);
    expect(after).toHaveLength(2);
    expect(after).toEqual(expect.arrayContaining(before));
  });

  it("runs started together all succeed and leave one whole cache, no temporary files", async () => {
    const pkg = installCopy();
    const runs = await Promise.all(Array.from({ length: 4 }, () => newService(pkg)));
    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
    expect(cacheFiles(pkg)).toEqual([expect.stringMatching(/^new-.*\.bin$/)]);
  });

  // A command missing from the bin's list shares the "other" cache with the rest: slower, never wrong.
  it("gives every command of `paved --help` its own cache (the bin's list names them all)", async () => {
    const bin = readFileSync(path.join(ROOT, "bin", "paved.cjs"), "utf8");
    const listed = /const COMMANDS = new Set\((\[[^\]]*\])\)/.exec(bin)?.[1];
    expect(listed, "the COMMANDS set in bin/paved.cjs").toBeDefined();
    const help = await execa(process.execPath, [path.join(ROOT, "bin", "paved.cjs"), "--help"], { env: CLI_ENV });
    const commands = help.stdout
      .slice(help.stdout.indexOf("Commands:"))
      .split("\n")
      .slice(1)
      .map((line) => /^ {2}([a-z]+)\b/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
    expect(commands.length).toBeGreaterThan(5);
    expect((JSON.parse(listed!) as string[]).sort()).toEqual([...new Set(commands)].sort());
  });
});
