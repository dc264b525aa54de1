import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import { resolveInside } from "../fs/paths.js";
import { onInterrupt } from "../fs/cleanup.js";
import { failpoint } from "../fs/failpoint.js";
import { startJournal, type UpgradeJournal } from "./journal.js";
import { entriesEqual, type FileEntry, type FileTree } from "../tree.js";

/** What to change on disk: entries to write and paths to delete. */
export interface TreeChanges {
  writes: Map<string, FileEntry>;
  deletes: string[];
  /** A written path to put in place after everything else (`.paved.yml`: it says the upgrade happened). */
  last?: string;
}

/** The difference from `before` to `after` (paths missing from `after` are deleted). */
export function treeChanges(before: FileTree, after: FileTree, last?: string): TreeChanges {
  const writes = new Map<string, FileEntry>();
  for (const p of [...after.keys()].sort()) {
    const entry = after.get(p)!;
    if (!entriesEqual(before.get(p), entry)) writes.set(p, entry);
  }
  const deletes = [...before.keys()].filter((p) => !after.has(p)).sort();
  return { writes, deletes, ...(last ? { last } : {}) };
}

export function changeCount(changes: TreeChanges): number {
  return changes.writes.size + changes.deletes.length;
}

function writeEntry(full: string, entry: FileEntry): void {
  if (entry.symlink !== undefined) {
    symlinkSync(entry.symlink, full);
    return;
  }
  writeFileSync(full, entry.data, { mode: entry.mode });
  chmodSync(full, entry.mode);
}

/** Refuse to write through a directory that is a symlink in the working tree (it may point anywhere). */
function assertRealParents(root: string, relative: string): void {
  const segments = relative.split("/").slice(0, -1);
  for (let i = 1; i <= segments.length; i++) {
    const dir = path.join(root, ...segments.slice(0, i));
    const stat = lstatSync(dir, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isSymbolicLink() || !stat.isDirectory()) {
      const shown = segments.slice(0, i).join("/");
      throw new UserError(`${relative}: ${shown} is ${stat.isSymbolicLink() ? "a symlink" : "a file"} in your working tree, where the template has a directory; nothing was changed`, {
        hint: `move or remove ${shown}, commit, and run paved upgrade again`,
      });
    }
  }
}

/** Create the missing directories above `dir`; returns those created, outermost first. */
function makeParents(dir: string, root: string): string[] {
  const missing: string[] = [];
  for (let d = dir; d.length > root.length && !existsSync(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) mkdirSync(d);
  return missing;
}

/** Remove directories left empty by deletes, up to (not including) root. */
function pruneEmptyParents(dir: string, root: string): void {
  for (let d = dir; d.length > root.length; d = path.dirname(d)) {
    try {
      if (readdirSync(d).length > 0) return;
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

/**
 * Apply changes to `root` all or nothing. New contents go to temporary files beside their targets first;
 * then each is renamed into place and deletes happen. Any failure restores every file already touched from
 * `original` (the tree read before the upgrade, in memory), removes temporaries and created directories,
 * and rethrows. It is synchronous, so a signal cannot interleave; `afterWrite` (also synchronous) runs
 * inside the same transaction (the git index update) and may return an error message to roll back. With `journal`,
 * a write-ahead journal makes a SIGKILL mid-apply recoverable by the next run (see ./journal.ts).
 */
export function applyAtomically(root: string, changes: TreeChanges, original: FileTree, afterWrite?: () => string | undefined, journal?: UpgradeJournal): void {
  const temps = new Map<string, string>();
  const createdDirs: string[] = [];
  const done: string[] = [];
  let counter = 0;
  const rollback = () => {
    for (const temp of temps.values()) rmSync(temp, { force: true });
    for (const relative of done.reverse()) {
      const full = path.join(root, ...relative.split("/"));
      rmSync(full, { force: true });
      const before = original.get(relative);
      if (before) {
        makeParents(path.dirname(full), root);
        writeEntry(full, before);
      }
    }
    for (const dir of createdDirs.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // not empty: something else lives there now
      }
    }
  };
  const forget = onInterrupt(rollback);
  const tempFor = new Map<string, string>();
  for (const [relative] of changes.writes) {
    const full = resolveInside(root, relative, relative);
    tempFor.set(relative, path.join(path.dirname(full), `.paved-tmp-${process.pid}-${counter++}`));
  }
  // Written before anything else changes, so a SIGKILL mid-apply can be undone by the next run.
  const finishJournal = journal
    ? startJournal(journal, [
        ...[...changes.writes].map(([p, entry]) => ({ path: p, temp: tempFor.get(p)!, original: original.get(p), intended: entry })),
        ...changes.deletes.map((p) => ({ path: p, original: original.get(p), intended: undefined })),
      ])
    : () => {};
  try {
    for (const [relative, entry] of changes.writes) {
      const full = resolveInside(root, relative, relative);
      assertRealParents(root, relative);
      createdDirs.push(...makeParents(path.dirname(full), root));
      const temp = tempFor.get(relative)!;
      temps.set(relative, temp);
      writeEntry(temp, entry);
    }
    const placeFile = (relative: string, temp: string) => {
      const full = path.join(root, ...relative.split("/"));
      const existing = lstatSync(full, { throwIfNoEntry: false });
      if (existing?.isDirectory()) {
        throw new UserError(`${relative}: the template has a file there but your working tree has a directory; nothing was changed`, {
          hint: `move or remove the directory ${relative}/, commit, and run paved upgrade again`,
        });
      }
      done.push(relative);
      renameSync(temp, full);
      temps.delete(relative);
    };
    let placed = 0;
    const total = temps.size;
    for (const [relative, temp] of [...temps]) {
      if (relative === changes.last) continue;
      // Test-only (test/security/kill-upgrade.test.ts): a no-op unless a test preloads a hook.
      failpoint("upgrade-apply-place", { index: placed++, total });
      placeFile(relative, temp);
    }
    for (const relative of changes.deletes) {
      const full = resolveInside(root, relative, relative);
      assertRealParents(root, relative);
      done.push(relative);
      unlinkSync(full);
      pruneEmptyParents(path.dirname(full), root);
    }
    const lastTemp = changes.last === undefined ? undefined : temps.get(changes.last);
    if (lastTemp) placeFile(changes.last!, lastTemp);
    const failure = afterWrite?.();
    if (failure) throw new Error(failure);
  } catch (error) {
    rollback();
    throw error;
  } finally {
    finishJournal();
    forget();
  }
}
