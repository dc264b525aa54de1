import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { FileTree } from "../tree.js";
import { fileSystemError } from "./fs-error.js";
import { resolveInside } from "./paths.js";
import { yieldEvery } from "./yield.js";

/**
 * Write every entry of a tree under root (which must exist); paths are checked to stay inside.
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
  const targets: Array<[string, string]> = [];
  const dirs = new Set<string>();
  for (const [relative] of tree) {
    const full = resolveInside(root, relative, relative);
    targets.push([relative, full]);
    dirs.add(path.dirname(full));
  }
  // Parents before children: sorted by length keeps mkdir -p cheap.
  for (const dir of [...dirs].sort((a, b) => a.length - b.length)) mkdirSync(dir, { recursive: true });
  const pause = yieldEvery(256);
  for (const [relative, full] of targets) {
    const entry = tree.get(relative)!;
    if (entry.symlink !== undefined) symlinkSync(entry.symlink, full);
    else writeFileSync(full, entry.data, { mode: entry.mode });
    await pause();
  }
}
