import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";
import type { FileEntry, FileTree } from "../tree.js";

export interface ReadTreeOptions {
  /** Directory names skipped wherever they appear (e.g. ".git", "node_modules"). */
  ignoreDirs?: ReadonlySet<string>;
  /** Called for each symlink; return false to refuse it (the caller throws). */
  onSymlink?: (relative: string, target: string) => void;
}

/** Read a directory into an in-memory tree (files, modes, symlinks), POSIX paths relative to root. */
export async function readTree(root: string, options: ReadTreeOptions = {}): Promise<FileTree> {
  const tree: FileTree = new Map();
  const ignore = options.ignoreDirs ?? new Set<string>();
  async function walk(dir: string, prefix: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    await Promise.all(
      entries.map(async (dirent) => {
        const full = path.join(dir, dirent.name);
        const relative = prefix ? `${prefix}/${dirent.name}` : dirent.name;
        if (dirent.isDirectory()) {
          if (!ignore.has(dirent.name)) await walk(full, relative);
          return;
        }
        if (dirent.isSymbolicLink()) {
          const target = await readlink(full);
          options.onSymlink?.(relative, target);
          tree.set(relative, { data: new Uint8Array(0), mode: 0o777, symlink: target.split(path.sep).join("/") });
          return;
        }
        if (!dirent.isFile()) return;
        const [data, stat] = await Promise.all([readFile(full), lstat(full)]);
        const entry: FileEntry = { data, mode: stat.mode & 0o777 };
        tree.set(relative, entry);
      }),
    );
  }
  await walk(root, "");
  return tree;
}
