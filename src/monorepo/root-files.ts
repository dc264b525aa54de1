import { lstatSync, readFileSync, readlinkSync, rmdirSync, rmSync } from "node:fs";
import { onInterrupt } from "../fs/cleanup.js";
import { fileSystemError } from "../fs/fs-error.js";
import { assertRealParents, createEntry, makeParents } from "../fs/safe-write.js";
import path from "node:path";
import { assertSafeRelativePath, resolveInside } from "../fs/paths.js";
import type { FileEntry, FileTree } from "../tree.js";

export interface WrittenRootFiles {
  /** Remove every file and folder written (a later step failed, or Ctrl-C). */
  undo(): void;
  /** The run succeeded: they stay, and an interrupt no longer removes them. */
  keep(): void;
}

/**
 * Write a service's root files at the repository's top through the safe writer (checked paths, no symlinked
 * folder followed, every file created new with O_EXCL|O_NOFOLLOW, so an existing file is never overwritten). On
 * failure, or on Ctrl-C until `keep()`, everything written is removed again: files, then the folders made for them.
 */
export function writeRootFiles(top: string, tree: FileTree): WrittenRootFiles {
  const files: string[] = [];
  const folders: string[] = [];
  const undo = () => {
    for (const file of files.reverse()) rmSync(file, { force: true });
    for (const folder of folders.reverse()) {
      try {
        rmdirSync(folder);
      } catch {
        // something else was put in it meanwhile: it stays
      }
    }
    files.length = 0;
    folders.length = 0;
  };
  const forget = onInterrupt(undo);
  try {
    const known = new Set<string>();
    for (const [relative, entry] of tree) {
      const full = resolveInside(top, relative, relative);
      folders.push(...makeParents(top, relative, known));
      createEntry(full, entry);
      files.push(full);
    }
  } catch (error) {
    forget();
    undo();
    throw fileSystemError(error, `write files in ${top}`);
  }
  return {
    undo() {
      forget();
      undo();
    },
    keep: forget,
  };
}

/**
 * A path named from the service's folder (`../../.github/x`, how upgrade and diff name root files) as a path from the
 * repository root (`prefix`: the service's folder, git's "packages/svc-a/" or ""). Refused (exit 2) when it would
 * leave the repository or name anything in `.git`: the same rules as every path paved writes.
 */
export function repositoryPathOf(prefix: string, relative: string): string {
  const joined = prefix === "" ? relative : path.posix.normalize(`${prefix.replace(/\/?$/, "/")}${relative}`);
  assertSafeRelativePath(joined, relative);
  return joined;
}

/** The repository's top folder from a service folder's real path and its prefix (git's "packages/svc-a/"). */
export function repositoryTopOf(serviceRoot: string, prefix: string): string {
  return path.resolve(
    serviceRoot,
    ...prefix
      .split("/")
      .filter(Boolean)
      .map(() => ".."),
  );
}

/**
 * A file at the repository root as the team has it (undefined when it is not there, or not a file or symlink). A
 * folder above it that is a symlink (or a file) is refused (exit 2): paved neither reads nor writes through one, so
 * `paved diff` and upgrade see the same rule.
 */
export async function readRootFile(top: string, relative: string): Promise<FileEntry | undefined> {
  const full = assertRealParents(top, relative);
  let stat: ReturnType<typeof lstatSync> | undefined;
  try {
    stat = lstatSync(full);
  } catch {
    stat = undefined;
  }
  if (stat?.isSymbolicLink()) return { data: new Uint8Array(0), mode: 0o777, symlink: readlinkSync(full).split(path.sep).join("/") };
  if (stat?.isFile()) return { data: readFileSync(full), mode: stat.mode & 0o777 };
  return undefined;
}

/**
 * The team's copies of root files named from the service's folder (`prefix`), by those names; absent ones left out.
 * Read before anything is planned, so a symlinked folder above one (see readRootFile) refuses the upgrade early.
 */
export async function readRootFiles(top: string, prefix: string, paths: readonly string[]): Promise<FileTree> {
  const tree: FileTree = new Map();
  for (const p of paths) {
    const entry = await readRootFile(top, repositoryPathOf(prefix, p));
    if (entry) tree.set(p, entry);
  }
  return tree;
}

/** The paths among these (named from the service's folder) that are root files: they climb out of it. */
export function rootPathsOf(paths: readonly string[]): string[] {
  return paths.filter((p) => p === ".." || p.startsWith("../"));
}
