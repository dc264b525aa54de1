import { realpathSync } from "node:fs";
import path from "node:path";
import picomatch from "picomatch";
import type { FileTree } from "../tree.js";

/**
 * A service's folder relative to the top of its git repository, POSIX separators, "" at the top: what
 * `{{paved.path}}` holds. `dir` may not exist yet; the nearest existing folder above it is resolved through
 * symlinks first, as git resolves its top (a /tmp that is a link must not yield "../../private/tmp/...").
 */
export function repoRelativePath(top: string, dir: string): string {
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    try {
      current = realpathSync(current);
      break;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) break;
      missing.unshift(path.basename(current));
      current = parent;
    }
  }
  const relative = path.relative(realpathSync(top), path.join(current, ...missing));
  return relative.split(path.sep).join("/");
}

export interface PlacedTree {
  /** Files written in the service's folder, relative to it. */
  service: FileTree;
  /** Files written at the repository root, relative to it (empty when the service is at the root). */
  root: FileTree;
}

/**
 * Where each rendered file goes: a file the manifest's `rootFiles` globs name goes to the repository root when the
 * service sits in a subdirectory (`servicePath` not ""), every other file to the service's folder. At the root
 * nothing moves, so a service at a repository root renders exactly as before `rootFiles` existed.
 */
export function placeRenderedFiles(tree: FileTree, rootFiles: readonly string[], servicePath: string): PlacedTree {
  if (servicePath === "" || rootFiles.length === 0) return { service: tree, root: new Map() };
  const isRootFile = picomatch(rootFiles as string[], { dot: true });
  const service: FileTree = new Map();
  const root: FileTree = new Map();
  for (const [file, entry] of tree) (isRootFile(file) ? root : service).set(file, entry);
  return { service, root };
}

/** Whether `inner` is `outer` or lies inside it (repository-relative POSIX paths; "" is the root). */
export function isWithin(inner: string, outer: string): boolean {
  return outer === "" || inner === outer || inner.startsWith(`${outer}/`);
}
