import type { FileEntry, FileTree } from "../tree.js";
import { fileSystemError } from "./fs-error.js";
import { createEntry, makeParents } from "./safe-write.js";
import { resolveInside } from "./paths.js";
import { yieldEvery } from "./yield.js";

/**
 * Write every entry of a tree under root (which must exist) through the safe writer: paths are checked, no
 * directory is followed through a symlink, and every file is created new (O_EXCL|O_NOFOLLOW).
 * Synchronous writes in a loop: for many small files several times faster than promises through libuv's
 * thread pool (see bench/); the loop yields to the event loop now and then so Ctrl-C is handled promptly.
 */
export async function writeTree(root: string, tree: FileTree): Promise<void> {
  try {
    await writeEntries(root, tree);
  } catch (error) {
    // A full disk, read-only mount or missing permission is the user's to fix (exit 2), not a bug.
    throw fileSystemError(error, `write files in ${root}`);
  }
}

async function writeEntries(root: string, tree: FileTree): Promise<void> {
  const targets: Array<[string, string, FileEntry]> = [];
  for (const [relative, entry] of tree) targets.push([relative, resolveInside(root, relative, relative), entry]);
  // Directories already checked or made in this run, so each is looked at once.
  const known = new Set<string>();
  const pause = yieldEvery(256);
  for (const [relative, full, entry] of targets) {
    makeParents(root, relative, known);
    createEntry(full, entry);
    await pause();
  }
}
