import { createHash } from "node:crypto";
import { closeSync, constants, lstatSync, openSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import { fileSystemError } from "../fs/fs-error.js";
import { stateFile, type RepositoryState } from "../fs/lock.js";
import { pruneEmptyParents, resolveInside, unlinkQuietly } from "../fs/paths.js";
import { createEntry, makeParents, writeStateFile } from "../fs/safe-write.js";
import type { FileEntry } from "../tree.js";
import { repositoryTopOf } from "../monorepo/root-files.js";

/**
 * A write-ahead journal for applying an upgrade: before the first file changes, paved records every path it
 * will touch, the temporary file it will use, the path's original content, and a hash of what the path holds
 * before and after paved's write. A run killed with SIGKILL (or a power loss) mid-apply leaves the journal; the
 * next `paved upgrade`, holding the repository lock, restores every path from it, so the tree is never left half
 * upgraded. SIGINT/SIGTERM and errors roll back in-process and remove the journal.
 *
 * It lives only in the repository's git dir (see RepositoryState), is bound to the service's real path and to
 * HEAD, and is replayed only after every entry is validated: each path is inside the service with no symlinked
 * or `.git` segment, and holds either what it held before the upgrade or what paved wrote (or nothing). Anything
 * else means someone changed the tree since; then nothing is touched.
 */
const originalSchema = z.object({ data: z.string(), mode: z.number().int(), symlink: z.string().optional() }).strict();
const entrySchema = z
  .object({
    path: z.string(),
    temp: z.string().optional(),
    /** null: the path did not exist before. */
    original: originalSchema.nullable(),
    /** contentHash of what the path held before the upgrade and of what paved put there (null: nothing). */
    before: z.string().nullable(),
    after: z.string().nullable(),
  })
  .strict();
const journalSchema = z
  .object({ format: z.literal(2), pid: z.number().int(), root: z.string(), head: z.string(), entries: z.array(entrySchema) })
  .strict();
type Journal = z.infer<typeof journalSchema>;

const TEMP_PREFIX = ".paved-tmp-";

/** Where the journal of one service lives, and what it is bound to. */
export interface UpgradeJournal {
  file: string;
  /**
   * The repository's top folder (realpath): every path is named from it, so a service's root files (see
   * docs/monorepo.md) are journaled with its own files; still confined to the repository and out of `.git`.
   */
  root: string;
  /** The service directory (realpath): journals written before root files were upgraded are named from it. */
  service: string;
  /** HEAD when the upgrade started ("" in a repository without commits). */
  head: string;
}

export async function openJournal(state: RepositoryState): Promise<UpgradeJournal> {
  return { file: stateFile(state, "journal"), root: repositoryTopOf(state.root, state.prefix), service: state.root, head: state.head };
}

/** What a path holds, as a hash: a file's bytes or a symlink's target; null when there is nothing. */
export function contentHash(entry: Pick<FileEntry, "data" | "symlink"> | undefined): string | null {
  if (!entry) return null;
  if (entry.symlink !== undefined) return `link:${createHash("sha256").update(entry.symlink).digest("hex")}`;
  return `file:${createHash("sha256").update(entry.data).digest("hex")}`;
}

export interface JournalPlan {
  path: string;
  temp?: string;
  original: FileEntry | undefined;
  /** What paved writes there; undefined for a delete. */
  intended: FileEntry | undefined;
}

/**
 * Write the journal durably and atomically: an exclusive, no-follow temp file in the git dir, fsync, rename. A
 * failure (full or read-only disk) leaves nothing behind. Returns a function that removes the journal.
 */
export function startJournal(journal: UpgradeJournal, plan: readonly JournalPlan[]): () => void {
  const content: Journal = {
    format: 2,
    pid: process.pid,
    root: journal.root,
    head: journal.head,
    entries: plan.map((p) => ({
      path: p.path,
      ...(p.temp ? { temp: path.relative(journal.root, p.temp).split(path.sep).join("/") } : {}),
      original: p.original
        ? {
            data: Buffer.from(p.original.data).toString("base64"),
            mode: p.original.mode,
            ...(p.original.symlink !== undefined ? { symlink: p.original.symlink } : {}),
          }
        : null,
      before: contentHash(p.original),
      after: contentHash(p.intended),
    })),
  };
  writeStateFile(journal.file, JSON.stringify(content), "the upgrade journal");
  return () => unlinkQuietly(journal.file);
}

function damaged(file: string, why: string): UserError {
  return new UserError(`${file} ${why}: an interrupted paved upgrade could not be undone automatically; nothing was changed`, {
    hint: `check the working tree with \`git status\` and \`git diff\` (restore it with git if it is half upgraded), then delete ${file}`,
  });
}

/**
 * The full path of a journaled relative path, after checking it stays inside the service on disk: no `.git`
 * segment (any case), and every existing parent a real directory (no symlink), so its realpath is itself.
 */
function confinedPath(journal: UpgradeJournal, relative: string): string {
  const full = resolveInside(journal.root, relative, journal.file);
  const segments = relative.split("/");
  if (segments.some((s) => s.replace(/[. ]+$/, "").toLowerCase() === ".git"))
    throw damaged(journal.file, `names ${JSON.stringify(relative)}, inside .git`);
  for (let i = 1; i < segments.length; i++) {
    const dir = path.join(journal.root, ...segments.slice(0, i));
    const stat = lstatSync(dir, { throwIfNoEntry: false });
    if (!stat) break;
    if (!stat.isDirectory() || realpathSync(dir) !== dir)
      throw damaged(
        journal.file,
        `names ${JSON.stringify(relative)}, but ${segments.slice(0, i).join("/")} is not a directory of the service`,
      );
  }
  return full;
}

/** The hash of what is on disk at `full`; throws for anything but a regular file, a symlink or nothing. */
function diskHash(journal: UpgradeJournal, full: string, relative: string): string | null {
  const stat = lstatSync(full, { throwIfNoEntry: false });
  if (!stat) return null;
  if (stat.isSymbolicLink()) return contentHash({ data: new Uint8Array(), symlink: readlinkSync(full) });
  if (!stat.isFile()) throw damaged(journal.file, `names ${JSON.stringify(relative)}, which is not a regular file`);
  const fd = openSync(full, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    return contentHash({ data: readFileSync(fd) });
  } finally {
    closeSync(fd);
  }
}

function readJournal(journal: UpgradeJournal): Journal | undefined {
  const stat = lstatSync(journal.file, { throwIfNoEntry: false });
  if (!stat) return undefined;
  if (!stat.isFile()) throw damaged(journal.file, "is not a regular file");
  try {
    const fd = openSync(journal.file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      return journalSchema.parse(JSON.parse(readFileSync(fd, "utf8")));
    } finally {
      closeSync(fd);
    }
  } catch {
    throw damaged(journal.file, "is damaged or from another paved version");
  }
}

/**
 * If an upgrade was killed while applying, put every path it touched back as it was and remove its temporary
 * files. Returns the restored paths (empty when there was nothing to do). Call it holding the repository lock.
 * Refuses (nothing touched) when the journal is not for this directory or HEAD, names a path outside the repository (or in `.git`),
 * or a path changed since it was written. Idempotent: a kill during recovery leaves the journal for the next run.
 */
export function recoverInterruptedUpgrade(opened: UpgradeJournal): string[] {
  const file = opened.file;
  const recorded = readJournal(opened);
  if (!recorded) {
    // Killed while writing the journal: nothing in the tree had changed yet.
    unlinkQuietly(`${file}.tmp`);
    return [];
  }
  if (recorded.root !== opened.root && recorded.root !== opened.service)
    throw damaged(file, `was written for ${recorded.root}, not ${opened.root}`);
  // Confined to the folder it was written for: the repository's top, or (an older journal) the service's.
  const journal = { ...opened, root: recorded.root };
  if (recorded.head !== journal.head) {
    throw new UserError(
      `an interrupted paved upgrade left ${file}, but HEAD moved since (${recorded.head.slice(0, 7) || "no commit"} -> ${journal.head.slice(0, 7) || "no commit"}); nothing was changed`,
      {
        hint: `if the working tree is as you want it (check \`git status\`), delete ${file} and run paved upgrade again`,
      },
    );
  }
  const plan = recorded.entries.map((entry) => {
    const full = confinedPath(journal, entry.path);
    let temp: string | undefined;
    if (entry.temp !== undefined) {
      temp = confinedPath(journal, entry.temp);
      if (!path.basename(temp).startsWith(TEMP_PREFIX))
        throw damaged(file, `names the temporary file ${JSON.stringify(entry.temp)}, which is not one of paved's`);
      const stat = lstatSync(temp, { throwIfNoEntry: false });
      if (stat && !stat.isFile() && !stat.isSymbolicLink())
        throw damaged(file, `names the temporary file ${JSON.stringify(entry.temp)}, which is not a file`);
    }
    const now = diskHash(journal, full, entry.path);
    // Nothing there is always fine (restoring loses nothing); anything but "before" or "after" is someone's edit.
    const changed = now !== null && now !== entry.before && now !== entry.after;
    return { entry, full, temp, changed };
  });
  const changed = plan.filter((p) => p.changed).map((p) => p.entry.path);
  if (changed.length > 0) {
    throw new UserError(
      `an interrupted paved upgrade left ${file}, but ${changed.length} path${changed.length === 1 ? "" : "s"} it would restore changed since (${changed.slice(0, 3).join(", ")}${changed.length > 3 ? ", ..." : ""}); nothing was changed`,
      {
        hint: `keep your edits: check \`git status\` and \`git diff\`, restore with git what you do not want, then delete ${file} and run paved upgrade again`,
      },
    );
  }
  try {
    for (const { entry, full, temp } of plan) {
      if (temp) unlinkQuietly(temp);
      unlinkQuietly(full);
      if (entry.original) {
        makeParents(journal.root, entry.path);
        createEntry(
          full,
          {
            data: Buffer.from(entry.original.data, "base64"),
            mode: entry.original.mode,
            ...(entry.original.symlink !== undefined ? { symlink: entry.original.symlink } : {}),
          },
          true,
        );
      } else {
        pruneEmptyParents(path.dirname(full), journal.root);
      }
    }
  } catch (error) {
    // The journal stays: once the disk has room (or is writable), the next run finishes the restore.
    throw fileSystemError(error, `restore the paths ${file} lists`);
  }
  unlinkQuietly(file);
  return recorded.entries.map((e) => e.path);
}
