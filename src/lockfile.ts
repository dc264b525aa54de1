import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { UserError } from "./errors.js";
import { tmpdir } from "node:os";
import path from "node:path";
import { onInterrupt } from "./fs/cleanup.js";
import { resolveInside } from "./fs/paths.js";
import { writeTree } from "./fs/write-tree.js";
import { normalizeCommand, runHooks, type HookCommand } from "./hooks.js";
import type { Manifest } from "./templates/manifest.js";
import { entriesEqual, type FileTree } from "./tree.js";

export interface LockfileSpec {
  command: HookCommand;
  files: string[];
  /** What the lockfile is computed from; empty: refresh after every upgrade. */
  inputs: string[];
}

export function lockfileSpecOf(manifest: Manifest): LockfileSpec | undefined {
  if (!manifest.lockfile) return undefined;
  return { command: normalizeCommand(manifest.lockfile.command), files: manifest.lockfile.files, inputs: manifest.lockfile.inputs };
}

/**
 * Whether an upgrade from `before` to `after` must refresh the lockfile: the service has one (an upgrade keeps
 * a lockfile in line; it does not add one a team chose not to commit) and the merge changed its inputs.
 */
export function lockfileNeeded(spec: LockfileSpec, before: FileTree, after: FileTree): boolean {
  if (!spec.files.some((f) => before.has(f))) return false;
  if (spec.inputs.length === 0) return true;
  return spec.inputs.some((p) => !entriesEqual(before.get(p), after.get(p)));
}

/**
 * Bring the lockfile in line with the tree's dependency manifest: run the template's refresh command in a
 * scratch copy of the tree (so the working tree changes only in the upgrade's one atomic apply) and return
 * the tree with the lockfile files it wrote. Returns the paths that changed.
 */
export async function refreshLockfile(
  spec: LockfileSpec,
  tree: FileTree,
  log: (line: string) => void,
): Promise<{ tree: FileTree; changed: string[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), "paved-lockfile-"));
  const forget = onInterrupt(() => rmSync(dir, { recursive: true, force: true }));
  try {
    await writeTree(dir, tree);
    await runHooks([spec.command], dir, log);
    const next: FileTree = new Map(tree);
    const changed: string[] = [];
    for (const file of spec.files) {
      let data: Buffer;
      try {
        data = readFileSync(resolveInside(dir, file, "lockfile.files"));
      } catch {
        continue;
      }
      const before = tree.get(file);
      if (!before || Buffer.compare(Buffer.from(before.data), data) !== 0) changed.push(file);
      next.set(file, { data, mode: before?.mode ?? 0o644 });
    }
    return { tree: next, changed };
  } finally {
    forget();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lockfile paths the template declares that `dir` lacks. */
export function missingLockfiles(spec: LockfileSpec, dir: string): string[] {
  return spec.files.filter((f) => !existsSync(resolveInside(dir, f, "lockfile.files")));
}

/**
 * After `paved new` without installs: create the lockfile in place when it is missing. A failure (offline,
 * registry down) does not stop `new`: it returns what is missing and the command to run, for the next steps.
 */
export async function ensureLockfile(
  spec: LockfileSpec,
  dir: string,
  log: (line: string) => void,
): Promise<{ created: string[]; missing: string[]; error?: string }> {
  const before = missingLockfiles(spec, dir);
  if (before.length === 0) return { created: [], missing: [] };
  try {
    await runHooks([spec.command], dir, log);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { created: [], missing: missingLockfiles(spec, dir), error: error.message };
  }
  const missing = missingLockfiles(spec, dir);
  return { created: before.filter((f) => !missing.includes(f)), missing };
}
