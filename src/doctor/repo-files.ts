import { spawnSync } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from "node:fs";
import path from "node:path";
import { isBinary, type FileEntry } from "../tree.js";

/** Files larger than this are not scanned for secrets (nor parsed as text by any check). */
export const MAX_SCAN_BYTES = 1024 * 1024;

const WALK_IGNORED = new Set([".git", "node_modules"]);

interface Cached {
  stat: Stats | null;
  entry?: FileEntry;
  text?: string | null;
}

/**
 * One shared, lazily filled view of a service's files: every check reads through it, so a file is
 * stat-ed and read at most once per doctor run, however many checks look at it.
 */
export class RepoFiles {
  /** Tracked files (`git ls-files`), or every file when the directory is not a git work tree. */
  readonly tracked: readonly string[];
  readonly isGit: boolean;
  /** How often each path was read from disk; a test asserts no path is read twice. */
  readonly diskReads = new Map<string, number>();
  private readonly cache = new Map<string, Cached>();
  private readonly derived = new Map<string, unknown>();
  private trackedSet: Set<string> | undefined;

  constructor(readonly root: string) {
    const listed = listTrackedFiles(root);
    this.isGit = listed !== undefined;
    this.tracked = listed ?? walkFiles(root);
  }

  isTracked(relative: string): boolean {
    this.trackedSet ??= new Set(this.tracked);
    return this.trackedSet.has(relative);
  }

  private stat(relative: string): Cached {
    let cached = this.cache.get(relative);
    if (!cached) {
      let stat: Stats | null = null;
      try {
        stat = lstatSync(path.join(this.root, ...relative.split("/")));
      } catch {
        stat = null;
      }
      cached = { stat };
      this.cache.set(relative, cached);
    }
    return cached;
  }

  /** Whether a regular file or symlink exists at the path in the working tree. */
  exists(relative: string): boolean {
    const { stat } = this.stat(relative);
    return stat !== null && (stat.isFile() || stat.isSymbolicLink());
  }

  size(relative: string): number | undefined {
    const { stat } = this.stat(relative);
    return stat && stat.isFile() ? stat.size : undefined;
  }

  /** The file as a tree entry (bytes + mode, or a symlink), or undefined when absent. */
  read(relative: string): FileEntry | undefined {
    const cached = this.stat(relative);
    if (cached.entry) return cached.entry;
    const { stat } = cached;
    if (!stat) return undefined;
    const full = path.join(this.root, ...relative.split("/"));
    this.diskReads.set(relative, (this.diskReads.get(relative) ?? 0) + 1);
    if (stat.isSymbolicLink()) {
      cached.entry = { data: new Uint8Array(0), mode: 0o777, symlink: readlinkSync(full).split(path.sep).join("/") };
    } else if (stat.isFile()) {
      cached.entry = { data: readFileSync(full), mode: stat.mode & 0o777 };
    } else {
      return undefined;
    }
    return cached.entry;
  }

  /**
   * The file as UTF-8 text, or undefined when it is absent, a symlink, binary or larger than MAX_SCAN_BYTES
   * (in which case it is not read at all).
   */
  text(relative: string): string | undefined {
    const cached = this.stat(relative);
    if (cached.text !== undefined) return cached.text ?? undefined;
    const { stat } = cached;
    if (!stat || !stat.isFile() || stat.size > MAX_SCAN_BYTES) {
      cached.text = null;
      return undefined;
    }
    const entry = this.read(relative);
    if (!entry || isBinary(entry.data)) {
      cached.text = null;
      return undefined;
    }
    cached.text = Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength).toString("utf8");
    return cached.text;
  }

  /**
   * Something computed from a file's text once per run, e.g. its parsed YAML: several checks read
   * deploy/base/deployment.yaml or catalog-info.yaml, and parsing is the expensive part.
   */
  derive<T>(kind: string, relative: string, compute: (text: string) => T): T | undefined {
    const key = `${kind}\0${relative}`;
    if (this.derived.has(key)) return this.derived.get(key) as T | undefined;
    const text = this.text(relative);
    const value = text === undefined ? undefined : compute(text);
    this.derived.set(key, value);
    return value;
  }

  /** Forget what was read (after `--fix` wrote files). */
  invalidate(relative: string): void {
    this.cache.delete(relative);
    for (const key of this.derived.keys()) if (key.endsWith(`\0${relative}`)) this.derived.delete(key);
  }
}

/** `git ls-files -z` relative to root, or undefined when root is not inside a git work tree. */
function listTrackedFiles(root: string): string[] | undefined {
  const result = spawnSync("git", ["ls-files", "-z", "--cached", "--deduplicate"], {
    cwd: root,
    encoding: "buffer",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.error || result.status !== 0) return undefined;
  const out = result.stdout.toString("utf8");
  return out.split("\0").filter((p) => p !== "").sort();
}

function walkFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!WALK_IGNORED.has(entry.name)) walk(path.join(dir, entry.name), relative);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        out.push(relative);
      }
    }
  };
  walk(root, "");
  return out.sort();
}

/** 1-based line number of a character offset in text. */
export function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}
