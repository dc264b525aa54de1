import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import { fileSystemError } from "./fs-error.js";
import type { FileEntry } from "../tree.js";
import { resolveInside } from "./paths.js";

/**
 * The one way paved writes into a service or a new repository. The rules (SECURITY.md, "Writes: symlinks, .git and
 * temp files"): every path passes `unsafePathReason` (so nothing lands in `.git`, in any spelling); every directory
 * above a write, inside the root, is checked with lstat to be a real directory, never a symlink or a file; missing
 * directories are made one at a time after that check; files are created with O_CREAT|O_EXCL|O_NOFOLLOW, so a
 * file or symlink already there is never followed or reused; a file that replaces another is written to a new
 * randomly named temporary beside it and renamed over it (rename replaces a symlink, it does not follow it).
 */

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/** What stands where a directory should: the first directory above `relative` that is a symlink or a file. */
export interface ParentProblem {
  /** The offending directory, relative to the root. */
  shown: string;
  kind: "a symlink" | "a file";
}

/** The first directory above `relative` (inside root) that is not a real directory, or undefined (missing ones are fine). */
export function parentProblem(root: string, relative: string): ParentProblem | undefined {
  const segments = relative.split("/").slice(0, -1);
  for (let i = 1; i <= segments.length; i++) {
    const stat = lstatSync(path.join(root, ...segments.slice(0, i)), { throwIfNoEntry: false });
    if (!stat) return undefined;
    if (stat.isSymbolicLink() || !stat.isDirectory())
      return { shown: segments.slice(0, i).join("/"), kind: stat.isSymbolicLink() ? "a symlink" : "a file" };
  }
  return undefined;
}

/** Refuse (UserError) to write `relative` when a directory above it is a symlink or a file; checks the path rules too. */
export function assertRealParents(root: string, relative: string): string {
  const full = resolveInside(root, relative, relative);
  const problem = parentProblem(root, relative);
  if (problem) throw notADirectory(relative, problem);
  return full;
}

function notADirectory(relative: string, problem: ParentProblem): UserError {
  return new UserError(`${problem.shown} is ${problem.kind} where paved needs a directory; paved never writes through one`, {
    hint: `move or remove ${problem.shown} (a real directory may stand there), then run the command again`,
    fields: { file: relative },
  });
}

/**
 * Create the missing directories above `relative`, outermost first, one mkdir at a time. Walking down from the root,
 * every existing directory is checked (lstat) before anything below it is made, so a symlink or file in the way is
 * refused before anything is created. `known` caches directories already checked in this run (relative paths).
 * Returns those created.
 */
export function makeParents(root: string, relative: string, known?: Set<string>): string[] {
  resolveInside(root, relative, relative);
  const segments = relative.split("/").slice(0, -1);
  const created: string[] = [];
  for (let i = 1; i <= segments.length; i++) {
    const dir = segments.slice(0, i).join("/");
    if (known?.has(dir)) continue;
    const full = path.join(root, ...segments.slice(0, i));
    const stat = lstatSync(full, { throwIfNoEntry: false });
    if (!stat) {
      mkdirSync(full); // not recursive: fails rather than follows if something appeared meanwhile
      created.push(full);
    } else if (stat.isSymbolicLink() || !stat.isDirectory()) {
      throw notADirectory(relative, { shown: dir, kind: stat.isSymbolicLink() ? "a symlink" : "a file" });
    }
    known?.add(dir);
  }
  return created;
}

/**
 * Write `entry` as a new file or symlink at `full`. Anything already there makes it fail (EEXIST), so nothing is
 * followed or reused; if writing fails the new file is removed. `exactMode` sets the mode through the open descriptor (fchmod), past the umask.
 */
export function createEntry(full: string, entry: FileEntry, exactMode = false): void {
  if (entry.symlink !== undefined) {
    symlinkSync(entry.symlink, full);
    return;
  }
  const fd = openSync(full, CREATE_NEW, entry.mode);
  try {
    for (let written = 0; written < entry.data.length; ) written += writeSync(fd, entry.data, written);
    if (exactMode) fchmodSync(fd, entry.mode);
  } catch (error) {
    // The file is ours (created exclusively): a full disk must not leave it half written.
    closeSync(fd);
    rmSync(full, { force: true });
    throw error;
  }
  closeSync(fd);
}

/** A temporary name beside `full` that no repository can predict (so none can plant a file or link there). */
export function tempPathBeside(full: string): string {
  // node:crypto on first use: `paved new` (which only creates files) never loads it.
  return path.join(path.dirname(full), `.paved-tmp-${process.getBuiltinModule("node:crypto").randomBytes(12).toString("hex")}`);
}

/** Write `entry` to `relative` under root, replacing a file or symlink there (never writing through it). */
export function replaceEntry(root: string, relative: string, entry: FileEntry, known?: Set<string>): void {
  const full = assertRealParents(root, relative);
  makeParents(root, relative, known);
  const temp = tempPathBeside(full);
  try {
    createEntry(temp, entry, true);
    renameSync(temp, full);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Write a file paved keeps in a repository's git dir (journal, upgrade in progress) all at once: a `.tmp` created
 * exclusively without following links (under the repository lock a leftover one is from a killed run and is
 * removed first; unlink never follows), synced, then renamed over the file. A full disk is a UserError naming it.
 */
export function writeStateFile(file: string, text: string, what: string): void {
  const temp = `${file}.tmp`;
  rmSync(temp, { force: true });
  let fd: number | undefined;
  try {
    fd = openSync(temp, CREATE_NEW, 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, file);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw fileSystemError(error, `write ${what} ${file}`);
  }
}
