import { lstatSync, renameSync, rmdirSync, rmSync, unlinkSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import { pruneEmptyParents, resolveInside } from "../fs/paths.js";
import { onInterrupt } from "../fs/cleanup.js";
import { failpoint } from "../fs/failpoint.js";
import { createEntry, makeParents, parentProblem, tempPathBeside } from "../fs/safe-write.js";
import { startJournal, type UpgradeJournal } from "./journal.js";
import { repositoryPathOf } from "../monorepo/root-files.js";
import { entriesEqual, sortedEntries, type FileEntry, type FileTree } from "../tree.js";

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
  for (const [p, entry] of sortedEntries(after)) if (!entriesEqual(before.get(p), entry)) writes.set(p, entry);
  const deletes = [...before.keys()].filter((p) => !after.has(p)).sort();
  return { writes, deletes, ...(last ? { last } : {}) };
}

/** A tree named from the service's folder (`prefix`, git's "packages/svc-a/"), renamed to paths from the repository's top. */
export function treeAtTop(tree: FileTree, prefix: string): FileTree {
  if (prefix === "") return tree;
  return new Map([...tree].map(([p, entry]) => [repositoryPathOf(prefix, p), entry]));
}

/** Changes named from the service's folder, renamed to paths from the repository's top (where upgrade applies them). */
export function changesAtTop(changes: TreeChanges, prefix: string): TreeChanges {
  if (prefix === "") return changes;
  const at = (p: string) => repositoryPathOf(prefix, p);
  return {
    writes: treeAtTop(changes.writes, prefix) as Map<string, FileEntry>,
    deletes: changes.deletes.map(at),
    ...(changes.last !== undefined ? { last: at(changes.last) } : {}),
  };
}

export function changeCount(changes: TreeChanges): number {
  return changes.writes.size + changes.deletes.length;
}

/** Refuse to write through a directory that is a symlink in the working tree (it may point anywhere). */
function assertRealParents(root: string, relative: string): void {
  const problem = parentProblem(root, relative);
  if (problem) {
    throw new UserError(
      `${problem.shown} is ${problem.kind} in your working tree, where the template has a directory; nothing was changed`,
      {
        hint: `move or remove ${problem.shown}, commit, and run paved upgrade again`,
        fields: { file: relative },
      },
    );
  }
}

/**
 * Apply changes to `root` all or nothing. New contents go to temporary files beside their targets first;
 * then each is renamed into place and deletes happen. Any failure restores every file already touched from
 * `original` (the tree read before the upgrade, in memory), removes temporaries and created directories,
 * and rethrows. It is synchronous, so a signal cannot interleave; `afterWrite` (also synchronous) runs
 * inside the same transaction (the git index update) and throws to roll back. With `journal`,
 * a write-ahead journal makes a SIGKILL mid-apply recoverable by the next run (see ./journal.ts).
 */
export function applyAtomically(
  root: string,
  changes: TreeChanges,
  original: FileTree,
  afterWrite?: () => void,
  journal?: UpgradeJournal,
): void {
  const temps = new Map<string, string>();
  const createdDirs: string[] = [];
  const done: string[] = [];
  const rollback = () => {
    for (const temp of temps.values()) rmSync(temp, { force: true });
    for (const relative of done.reverse()) {
      const full = path.join(root, ...relative.split("/"));
      rmSync(full, { force: true });
      const before = original.get(relative);
      // Restored through the safe writer too; a parent that is no longer a real directory is left alone.
      if (before && !parentProblem(root, relative)) {
        makeParents(root, relative);
        createEntry(full, before, true);
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
  const planned = [...changes.writes].map(([relative, entry]) => ({
    relative,
    entry,
    temp: tempPathBeside(resolveInside(root, relative, relative)),
  }));
  // Written before anything else changes, so a SIGKILL mid-apply can be undone by the next run.
  const finishJournal = journal
    ? startJournal(journal, [
        ...planned.map(({ relative, entry, temp }) => ({ path: relative, temp, original: original.get(relative), intended: entry })),
        ...changes.deletes.map((p) => ({ path: p, original: original.get(p), intended: undefined })),
      ])
    : () => {};
  try {
    for (const { relative, entry, temp } of planned) {
      assertRealParents(root, relative);
      createdDirs.push(...makeParents(root, relative));
      // Recorded only once created: a name that already existed was never ours to remove in rollback.
      createEntry(temp, entry, true);
      temps.set(relative, temp);
    }
    const placeFile = (relative: string, temp: string) => {
      const full = path.join(root, ...relative.split("/"));
      const existing = lstatSync(full, { throwIfNoEntry: false });
      if (existing?.isDirectory()) {
        throw new UserError("the template has a file there but your working tree has a directory; nothing was changed", {
          hint: `move or remove the directory ${relative}/, commit, and run paved upgrade again`,
          fields: { file: relative },
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
    const last = changes.last;
    const lastTemp = last === undefined ? undefined : temps.get(last);
    if (last !== undefined && lastTemp !== undefined) placeFile(last, lastTemp);
    afterWrite?.();
  } catch (error) {
    rollback();
    throw error;
  } finally {
    finishJournal();
    forget();
  }
}
