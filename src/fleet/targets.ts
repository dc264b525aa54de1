import { createHash } from "node:crypto";
import { type Dirent, existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { looksLikeUrl } from "../config.js";
import { UserError } from "../errors.js";
import { isDirectory } from "../fs/paths.js";
import { SERVICE_FILE } from "../service-file.js";
import { credentialFreeUrl } from "../redact.js";
import { parseWith } from "../validation.js";
import { MAX_CONFIG_BYTES } from "../yaml-file.js";

/** One repository to report on: a local checkout, or a git URL cloned into the cache when it is evaluated. */
export type Target =
  | { kind: "local"; id: string; dir: string }
  | { kind: "git"; id: string; url: string }
  /** A target that could not be resolved: it still gets a row with its reason. */
  | { kind: "missing"; id: string; reason: string };

/** Where paved runs is the frame of reference: ids are paths relative to it, so shards in CI agree. */
function localId(dir: string, cwd: string): string {
  const rel = path.relative(cwd, dir);
  if (rel === "") return ".";
  return rel.startsWith("..") || path.isAbsolute(rel) ? dir.split(path.sep).join("/") : rel.split(path.sep).join("/");
}

/** A checkout: a git work tree, or a directory paved generated without git. */
function isCheckout(dir: string): boolean {
  return existsSync(path.join(dir, ".git")) || existsSync(path.join(dir, SERVICE_FILE));
}

const SKIPPED_DIRS = new Set(["node_modules"]);

/** Checkouts under `root`, depth-first in name order; never inside a checkout, never through a symlink or a dot directory. */
function findCheckouts(root: string, maxDepth: number): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > maxDepth) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (!entry.isDirectory() || entry.name.startsWith(".") || SKIPPED_DIRS.has(entry.name)) continue;
      const child = path.join(dir, entry.name);
      if (isCheckout(child)) found.push(child);
      else walk(child, depth + 1);
    }
  };
  walk(root, 1);
  return found;
}

export interface DiscoverOptions {
  cwd: string;
  maxDepth: number;
}

/** The repositories a fleet command works on: its arguments and a repos file, searched, then one shard of them. */
export interface TargetSelection extends DiscoverOptions {
  targets: readonly string[];
  reposFile?: string;
  shard: Shard | null;
}

/** The targets a selection names (the current directory when it names none), in this shard. */
export function selectTargets(selection: TargetSelection): Target[] {
  const specs = [...selection.targets, ...(selection.reposFile ? readReposFile(selection.reposFile, selection.cwd) : [])];
  const all = discoverTargets(specs.length ? specs : ["."], { cwd: selection.cwd, maxDepth: selection.maxDepth });
  const shard = selection.shard;
  return shard ? all.filter((t) => inShard(t.id, shard)) : all;
}

/** Every target the arguments name, deduplicated, in the order given (searches in name order). */
export function discoverTargets(specs: readonly string[], options: DiscoverOptions): Target[] {
  const out: Target[] = [];
  const seen = new Set<string>();
  const add = (target: Target, key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    out.push(target);
  };
  for (const spec of specs) {
    if (looksLikeUrl(spec)) {
      const id = credentialFreeUrl(spec).url;
      add({ kind: "git", id, url: spec }, `git:${id}`);
      continue;
    }
    const dir = path.resolve(options.cwd, spec);
    const id = localId(dir, options.cwd);
    if (!isDirectory(dir)) {
      add({ kind: "missing", id, reason: existsSync(dir) ? "not a directory" : "no such directory" }, `dir:${dir}`);
      continue;
    }
    if (isCheckout(dir)) {
      add({ kind: "local", id, dir }, `dir:${realpathSync(dir)}`);
      continue;
    }
    const found = findCheckouts(dir, options.maxDepth);
    if (found.length === 0) {
      const depth = Number.isFinite(options.maxDepth) ? ` within ${options.maxDepth} level${options.maxDepth === 1 ? "" : "s"}` : "";
      add({ kind: "missing", id, reason: `not a git repository, and no checkouts under it${depth}` }, `dir:${realpathSync(dir)}`);
      continue;
    }
    for (const checkout of found)
      add({ kind: "local", id: localId(checkout, options.cwd), dir: checkout }, `dir:${realpathSync(checkout)}`);
  }
  return out;
}

// A repos file line: a path or a URL, no control characters (a binary file or a stray NUL is not a list).
const reposLineSchema = z
  .string()
  .max(4096, "is longer than 4096 characters")
  .regex(/^[^\x00-\x1f\x7f]*$/, "holds a control character; one path or git URL a line");

/**
 * `--repos-file`: one target a line; `#` starts a comment (at the start of a line or after a space);
 * relative paths are relative to the file.
 */
export function readReposFile(file: string, cwd: string): string[] {
  const full = path.resolve(cwd, file);
  const fix = "list one local path or git URL a line (`#` starts a comment)";
  let text: string;
  try {
    if (statSync(full).size > MAX_CONFIG_BYTES)
      throw new UserError(`is larger than ${MAX_CONFIG_BYTES / 1024} KiB`, { hint: fix, fields: { flag: "--repos-file", file } });
    text = readFileSync(full, "utf8");
  } catch (error) {
    if (error instanceof UserError) throw error;
    const errno = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read: ${errno ?? (error as Error).message}`, {
      hint: "pass an existing, readable file",
      fields: { flag: "--repos-file", file, ...(errno ? { errno } : {}) },
    });
  }
  const lines = text.split(/\r?\n/).map((line) => line.replace(/(^|\s)#.*$/, "").trim());
  const numbered = lines.map((line, i) => ({ line, n: i + 1 })).filter((l) => l.line !== "");
  let parsed: Record<string, string>;
  try {
    parsed = parseWith(
      z.object(Object.fromEntries(numbered.map((l) => [`line ${l.n}`, reposLineSchema]))),
      Object.fromEntries(numbered.map((l) => [`line ${l.n}`, l.line])),
      { file, fix },
    );
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    // The file came from --repos-file: both are its location (`--repos-file hosts.txt: line 3: ...`).
    throw new UserError(error.reason, { hint: fix, code: error.code, fields: { ...error.fields, flag: "--repos-file" } });
  }
  const base = path.dirname(full);
  return Object.values(parsed).map((line) => (looksLikeUrl(line) ? line : path.resolve(base, line)));
}

/** `--shard I/N`: 1-based. */
export interface Shard {
  index: number;
  count: number;
}

/** A stable split: the same target lands in the same shard on every machine and in every run. */
export function inShard(id: string, shard: Shard): boolean {
  const bucket = createHash("sha256").update(id).digest().readUInt32BE(0) % shard.count;
  return bucket === shard.index - 1;
}
