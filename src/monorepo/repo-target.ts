import { UserError } from "../errors.js";
import { existingRepoState } from "../git/existing-repo.js";
import { assertFolderFree, readApplications, type Application } from "./applications.js";
import { repoRelativePath } from "./placement.js";

/** An existing git repository a new application is added to, checked before anything is asked or written. */
export interface RepoTarget {
  /** The repository's top folder. */
  top: string;
  /** The new service's folder relative to top, POSIX (never "": the top itself is never empty). */
  path: string;
  /** The checked-out branch; undefined on a detached HEAD. */
  branch: string | undefined;
  /** The applications already in the repository, from their `.paved.yml`. */
  applications: Application[];
}

// The path is written into CI files as a path filter, a working directory and a YAML string: only characters
// that mean the same in all of them (no glob, quote, space or shell characters).
const PLAIN_PATH = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/**
 * The repository at `top` as `paved new` needs it: the target's folder in it; a clean tree (what paved stages is
 * then exactly the new application, and nothing of the team's is mixed in); for `--commit`, a branch to commit on.
 */
export async function openRepoTarget(top: string, target: string, options: { commit: boolean }): Promise<RepoTarget> {
  const at = repoRelativePath(top, target);
  if (!PLAIN_PATH.test(at) || at.split("/").includes("..")) {
    throw new UserError(`a service's folder in a repository may only hold letters, digits, ".", "_", "-" and "/"`, {
      hint: "the folder is written into CI path filters and working directories; choose a plain name such as packages/payments-api",
      fields: { file: at },
    });
  }
  const state = await existingRepoState(top);
  if (state.dirty.length > 0) {
    const shown = state.dirty.slice(0, 5).join(", ") + (state.dirty.length > 5 ? ` and ${state.dirty.length - 5} more` : "");
    throw new UserError(`${top} has uncommitted changes (${shown}); paved adds a service only to a clean working tree`, {
      hint: "commit or stash them first, so the new files are all that `git diff --cached` shows",
    });
  }
  if (options.commit && state.branch === undefined) {
    throw new UserError(`${top} is on a detached HEAD; --commit would make a commit on no branch`, {
      hint: "switch to a branch first (`git switch <branch>` or `git switch -c <new-branch>`), or leave out --commit to only stage the files",
    });
  }
  const applications = readApplications(top, state.serviceFiles);
  assertFolderFree(at, applications);
  return { top, path: at, branch: state.branch, applications };
}
