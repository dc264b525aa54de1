import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll } from "vitest";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BIN = path.join(ROOT, "bin", "paved.cjs");
export const BUILTIN_TEMPLATES = path.join(ROOT, "templates");

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the test file. */
export function tempDir(prefix = "paved-test-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Write a tree of files (path -> content; a content of null makes an empty directory). */
export function writeFiles(root: string, files: Record<string, string | Buffer | null>): string {
  for (const [relative, content] of Object.entries(files)) {
    const full = path.join(root, relative);
    if (content === null) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return root;
}

/** Every file under root (relative POSIX paths, sorted), skipping .git. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === ".git") continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), rel);
      else out.push(rel);
    }
  };
  walk(root, "");
  return out.sort();
}

/** A snapshot of every file's bytes and mode under root, for "nothing changed" assertions. */
export function snapshotDir(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        out[rel + "/"] = "dir";
        walk(full, rel);
      } else {
        out[rel] = `${(statSync(full).mode & 0o777).toString(8)}:${readFileSync(full).toString("base64")}`;
      }
    }
  };
  walk(root, "");
  return out;
}

/** Environment for spawning the CLI as CI would: no TTY, no colour, a git identity. */
export const CLI_ENV: Record<string, string> = {
  CI: "true",
  FORCE_COLOR: "0",
  NO_COLOR: "1",
  GIT_AUTHOR_NAME: "Test Author",
  GIT_AUTHOR_EMAIL: "author@example.com",
  GIT_COMMITTER_NAME: "Test Author",
  GIT_COMMITTER_EMAIL: "author@example.com",
};

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  stdin?: "ignore" | "pipe";
  timeout?: number;
  input?: string;
}

/** The environment of a machine with no git identity: a fresh HOME whose .gitconfig is empty, no GIT_* variables. */
export function envWithoutIdentity(home: string): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("GIT_")) clean[k] = v;
  }
  writeFileSync(path.join(home, ".gitconfig"), "");
  return {
    ...clean,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    GIT_CONFIG_GLOBAL: path.join(home, ".gitconfig"),
    GIT_CONFIG_NOSYSTEM: "1",
    CI: "true",
    NO_COLOR: "1",
  };
}

/** Spawn the built CLI (bin/paved.cjs) with execa; never rejects, so tests assert exit codes. */
export function runCli(args: string[], options: CliOptions = {}) {
  const { env, stdin, ...rest } = options;
  return execa(process.execPath, [BIN, ...args], {
    reject: false,
    ...(rest.input === undefined ? { stdin: stdin ?? "ignore" } : {}),
    ...rest,
    env: { ...CLI_ENV, ...env },
  });
}

/** Run git in a directory with a fixed identity. */
export function git(cwd: string, args: string[]) {
  return execa("git", args, { cwd, env: CLI_ENV });
}

const PTY_DRIVER = path.join(ROOT, "test", "support", "pty-driver.py");

/**
 * Run paved in a real pseudo-terminal (test/support/pty-driver.py), typing `keys` when `prompt` appears. With
 * `thenEnter`, any further prompt is answered with Enter (its default), so a template may grow questions.
 */
export function runInTerminal(args: string[], script: Array<[prompt: string, keys: string]>, options: { thenEnter?: boolean } = {}) {
  const env: Record<string, string> = {
    ...CLI_ENV,
    TERM: "xterm",
    ...(options.thenEnter ? { PTY_DRIVER_THEN: JSON.stringify(["\\? .+", "\r"]) } : {}),
  };
  delete env.CI;
  return execa("python3", [PTY_DRIVER, JSON.stringify(script), "--", process.execPath, BIN, ...args], {
    reject: false,
    env,
    extendEnv: true,
    timeout: 90_000,
  });
}
