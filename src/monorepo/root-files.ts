import { rmdirSync, rmSync } from "node:fs";
import { onInterrupt } from "../fs/cleanup.js";
import { fileSystemError } from "../fs/fs-error.js";
import { createEntry, makeParents } from "../fs/safe-write.js";
import { resolveInside } from "../fs/paths.js";
import type { FileTree } from "../tree.js";

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
