import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { FileTree } from "../tree.js";
import { fileSystemError } from "./fs-error.js";
import { resolveInside } from "./paths.js";

const CONCURRENCY = 64;

/** Write every entry of a tree under root (which must exist); paths are checked to stay inside. */
export async function writeTree(root: string, tree: FileTree): Promise<void> {
  try {
    await writeEntries(root, tree);
  } catch (error) {
    throw fileSystemError(error, `write files in ${root}`);
  }
}

async function writeEntries(root: string, tree: FileTree): Promise<void> {
  const entries = [...tree.entries()];
  const dirs = new Set<string>();
  for (const [relative] of entries) {
    const full = resolveInside(root, relative, relative);
    dirs.add(path.dirname(full));
  }
  // Parents before children: sorted by length keeps mkdir -p cheap.
  for (const dir of [...dirs].sort((a, b) => a.length - b.length)) await mkdir(dir, { recursive: true });
  let next = 0;
  async function worker(): Promise<void> {
    while (next < entries.length) {
      const [relative, entry] = entries[next++]!;
      const full = path.join(root, ...relative.split("/"));
      if (entry.symlink !== undefined) await symlink(entry.symlink, full);
      else await writeFile(full, entry.data, { mode: entry.mode });
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, entries.length) }, worker));
}
