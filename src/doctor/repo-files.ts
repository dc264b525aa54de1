import { gitPathsSync } from "../git/run.js";
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  type Stats,
} from "node:fs";
import path from "node:path";
import { lstatOrNull, unsafePathReason } from "../fs/paths.js";
import type { FileEntry } from "../tree.js";

/** Files larger than this are not scanned for secrets (nor parsed as text by any check). */
export const MAX_SCAN_BYTES = 1024 * 1024;

const WALK_IGNORED = new Set([".git", "node_modules"]);

interface Cached {
  /** "outside": the path leaves the service (see RepoFiles.outside); it is never read. */
  kind: "missing" | "file" | "symlink" | "other" | "outside";
  size: number;
  mode: number;
  entry?: FileEntry;
  /** Decoded text; null when binary, too large or not a file. */
  text?: string | null;
}

const NOFOLLOW = fsConstants.O_NOFOLLOW;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * One shared, lazily filled view of a service's files: every check reads through it, so a file is
 * stat-ed and read at most once per doctor run, however many checks look at it.
 */
export class RepoFiles {
  /** Tracked files (`git ls-files`), or every file when the directory is not a git work tree. */
  readonly tracked: readonly string[];
  readonly isGit: boolean;
  /** How often each path's content was read from disk; a test asserts no path is read twice. */
  readonly diskReads = new Map<string, number>();
  private readonly cache = new Map<string, Cached>();
  private readonly derived = new Map<string, unknown>();
  /** Folder (relative) -> whether its real path is inside the real root; one realpath per folder a run reads. */
  private readonly folderInside = new Map<string, boolean>();
  private realRoot: string | undefined;

  constructor(readonly root: string) {
    const listed = listTrackedFiles(root);
    this.isGit = listed !== undefined;
    this.tracked = listed ?? walkFiles(root);
  }

  private full(relative: string): string {
    // git paths are already normalised; path.join per file is measurable at 10,000 files.
    return path.sep === "/" ? `${this.root}/${relative}` : path.join(this.root, ...relative.split("/"));
  }

  /**
   * Why a path may not be read: it leaves the service lexically (`..`, absolute, ...) or its folder resolves
   * outside the service through a symlink. Undefined when it is inside. Every read goes through this: a path
   * can come from a template's check or an answer, and what doctor reads it may print.
   */
  outside(relative: string): string | undefined {
    const reason = unsafePathReason(relative);
    if (reason) return reason;
    const slash = relative.lastIndexOf("/");
    if (slash === -1) return undefined;
    const folder = relative.slice(0, slash);
    let inside = this.folderInside.get(folder);
    if (inside === undefined) {
      inside = this.folderStaysInside(folder);
      this.folderInside.set(folder, inside);
    }
    return inside ? undefined : "resolves outside the service through a symlinked folder";
  }

  private folderStaysInside(folder: string): boolean {
    let real: string;
    try {
      this.realRoot ??= realpathSync.native(this.root);
      real = realpathSync.native(this.full(folder));
    } catch {
      return true; // nothing there to read
    }
    const rel = path.relative(this.realRoot, real);
    return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
  }

  /** What is at the path, from one lstat (or from an earlier read). */
  private probe(relative: string): Cached {
    let cached = this.cache.get(relative);
    if (!cached) {
      cached = this.outside(relative) !== undefined ? OUTSIDE : describe(lstatOrNull(this.full(relative)));
      this.cache.set(relative, cached);
    }
    return cached;
  }

  /**
   * Open (without following a symlink), fstat and read in one go: one system call fewer per file than
   * lstat + readFile, which is what a 10,000-file secrets scan spends its time on.
   * Files over `maxBytes` are stat-ed but not read.
   */
  private load(relative: string, maxBytes = Infinity): Cached {
    const known = this.cache.get(relative);
    if (known) {
      if (known.entry || known.kind === "missing" || known.kind === "other" || known.kind === "outside") return known;
      if (known.kind === "symlink") {
        const link = this.symlinkAt(relative);
        this.cache.set(relative, link);
        return link;
      }
      if (known.size > maxBytes) return known;
    }
    if (this.outside(relative) !== undefined) {
      this.cache.set(relative, OUTSIDE);
      return OUTSIDE;
    }
    const full = this.full(relative);
    let fd: number;
    try {
      // Non-blocking: opening a FIFO for reading would otherwise wait forever for a writer (it is then "other").
      fd = openSync(full, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | (NOFOLLOW ?? 0));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const cached: Cached = code === "ELOOP" || code === "EMLINK" ? this.symlinkAt(relative) : { kind: "missing", size: 0, mode: 0 };
      this.cache.set(relative, cached);
      return cached;
    }
    try {
      const stat = fstatSync(fd);
      if (NOFOLLOW === undefined && lstatOrNull(full)?.isSymbolicLink()) {
        const cached = this.symlinkAt(relative);
        this.cache.set(relative, cached);
        return cached;
      }
      const cached = describe(stat);
      this.cache.set(relative, cached);
      if (cached.kind !== "file" || stat.size > maxBytes) return cached;
      const data = Buffer.allocUnsafe(stat.size);
      let offset = 0;
      while (offset < stat.size) {
        const n = readSync(fd, data, offset, stat.size - offset, offset);
        if (n === 0) break;
        offset += n;
      }
      this.diskReads.set(relative, (this.diskReads.get(relative) ?? 0) + 1);
      cached.entry = { data: offset === stat.size ? data : data.subarray(0, offset), mode: cached.mode };
      return cached;
    } finally {
      closeSync(fd);
    }
  }

  private symlinkAt(relative: string): Cached {
    this.diskReads.set(relative, (this.diskReads.get(relative) ?? 0) + 1);
    const target = readlinkSync(this.full(relative)).split(path.sep).join("/");
    return { kind: "symlink", size: 0, mode: 0o777, entry: { data: new Uint8Array(0), mode: 0o777, symlink: target } };
  }

  /** Whether a regular file or symlink exists at the path in the working tree. */
  exists(relative: string): boolean {
    const { kind } = this.probe(relative);
    return kind === "file" || kind === "symlink";
  }

  /** The file as a tree entry (bytes + mode, or a symlink), or undefined when absent. */
  read(relative: string): FileEntry | undefined {
    return this.load(relative).entry;
  }

  /**
   * The file as UTF-8 text, or undefined when it is absent, a symlink, binary (a NUL byte in its first
   * 8 KiB, or not UTF-8) or larger than MAX_SCAN_BYTES (in which case it is not read at all).
   */
  text(relative: string): string | undefined {
    const cached = this.load(relative, MAX_SCAN_BYTES);
    if (cached.text !== undefined) return cached.text ?? undefined;
    const entry = cached.entry;
    if (!entry || entry.symlink !== undefined || entry.data.subarray(0, 8192).includes(0)) {
      cached.text = null;
      return undefined;
    }
    try {
      cached.text = utf8.decode(entry.data);
    } catch {
      cached.text = null;
    }
    return cached.text ?? undefined;
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

const OUTSIDE: Cached = Object.freeze({ kind: "outside", size: 0, mode: 0, text: null }) as Cached;

function describe(stat: Stats | null): Cached {
  if (!stat) return { kind: "missing", size: 0, mode: 0 };
  const kind = stat.isSymbolicLink() ? "symlink" : stat.isFile() ? "file" : "other";
  return { kind, size: stat.size, mode: stat.mode & 0o777 };
}

/** `git ls-files -z` relative to root, or undefined when root is not inside a git work tree. */
function listTrackedFiles(root: string): string[] | undefined {
  return gitPathsSync(root, ["ls-files", "-z", "--cached", "--deduplicate"])?.sort();
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

/** lineAt for many offsets in one text: the line starts are found once, then each lookup is a binary search. */
export function lineFinder(text: string): (index: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (index) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const start = starts[mid];
      if (start === undefined) throw new Error(`bug: line ${mid} of ${starts.length}`);
      if (start <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}
