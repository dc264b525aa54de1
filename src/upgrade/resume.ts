import { readFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import type { RepositoryState } from "../fs/lock.js";
import { rootPathsOf } from "../monorepo/root-files.js";
import { clearInProgress, requireInProgress, restoreOriginals, type InProgress } from "./in-progress.js";
import { commitAll, headCommit, openRepository, resetIndexPaths, unmergedPaths } from "../git/worktree.js";

/** Markers a conflicted file keeps until a person resolves it (as git writes them, at the start of a line). */
const MARKER = /^(<{7}|>{7})(?: |$)/m;

/**
 * The stopped upgrade `flag` acts on, and its repository. When HEAD moved since it started, the upgrade was
 * committed by hand: the record is dropped and `flag` refused with `hint`.
 */
async function stoppedUpgrade(repository: RepositoryState, flag: "--abort" | "--continue", hint: string) {
  const state = requireInProgress(repository, flag);
  const repo = await openRepository(repository.root);
  if ((await headCommit(repo)) !== state.head) {
    clearInProgress(repository);
    throw new UserError(`the upgrade to ${state.template} ${state.reached} was already committed (HEAD moved since it started)`, {
      hint,
      fields: { flag },
    });
  }
  return { state, repo };
}

/**
 * `paved upgrade --abort`: put every path the stopped upgrade touched back as it was, and their index entries
 * back to HEAD, so the tree, index and `.paved.yml` are as at the commit the upgrade started from.
 */
export async function abortUpgrade(repository: RepositoryState): Promise<InProgress> {
  const { state, repo } = await stoppedUpgrade(repository, "--abort", "undo a committed upgrade with `git revert <commit>`");
  // The command holds the repository lock around this (as around every upgrade).
  restoreOriginals(repository, state);
  await resetIndexPaths(
    repo,
    state.touched.map((t) => t.path),
  );
  clearInProgress(repository);
  return state;
}

/**
 * `paved upgrade --continue`: once every conflict is resolved, commit the upgrade with its release notes
 * (the record of when it landed). The caller goes on to the remaining versions.
 */
export async function continueUpgrade(repository: RepositoryState): Promise<{ state: InProgress; commit: string }> {
  const root = repository.root;
  const { state, repo } = await stoppedUpgrade(repository, "--continue", "run `paved upgrade` to go on to the next version");
  const unresolved = await unmergedPaths(repo);
  const marked = state.touched.map((t) => t.path).filter((p) => hasMarkers(path.join(root, ...p.split("/"))));
  const rejects = state.touched.map((t) => t.path).filter((p) => p.endsWith(".rej") && exists(path.join(root, ...p.split("/"))));
  const left = [...new Set([...unresolved, ...marked, ...rejects])].sort();
  if (left.length > 0) {
    throw new UserError(`${left.length} file${left.length === 1 ? " is" : "s are"} not resolved yet: ${left.join(", ")}`, {
      hint: "resolve the conflict markers (or apply and delete the .rej files), `git add` each file, then run `paved upgrade --continue` again",
      fields: { flag: "--continue" },
    });
  }
  const commit = await commitAll(repo, state.message, rootPathsOf(state.touched.map((t) => t.path)));
  clearInProgress(repository);
  return { state, commit };
}

function exists(full: string): boolean {
  try {
    readFileSync(full);
    return true;
  } catch {
    return false;
  }
}

function hasMarkers(full: string): boolean {
  try {
    return MARKER.test(readFileSync(full, "utf8"));
  } catch {
    return false;
  }
}
