import { UserError } from "../errors.js";
import { serviceFilesUnder } from "../applications.js";
import { BULK_CHECK_IN, runGit, runGitSync, tryGit } from "./run.js";

/** What `paved new` needs to know about the repository a new service is added to. */
export interface ExistingRepoState {
  /** `git status` paths with uncommitted changes, untracked files included (empty when clean). */
  dirty: string[];
  /** The checked-out branch, or undefined on a detached HEAD. */
  branch: string | undefined;
  /** Every `.paved.yml` git would commit, relative to the top: one per application of a template (serviceFilesUnder). */
  serviceFiles: string[];
}

export async function existingRepoState(top: string): Promise<ExistingRepoState> {
  const [status, head, listed] = await Promise.all([
    runGit(top, ["status", "--porcelain", "-z", "--untracked-files=all"]),
    tryGit(top, ["symbolic-ref", "--quiet", "--short", "HEAD"]),
    serviceFilesUnder(top),
  ]);
  const dirty: string[] = [];
  let renameSource = false;
  for (const record of status.split("\0")) {
    // A rename's or copy's source follows it as a record of its own, with no status letters.
    if (renameSource || record.length < 4) {
      renameSource = false;
      continue;
    }
    dirty.push(record.slice(3));
    renameSource = record[0] === "R" || record[0] === "C";
  }
  return {
    dirty,
    branch: head.exitCode === 0 ? head.stdout.trim() || undefined : undefined,
    serviceFiles: listed,
  };
}

/** `git add` exactly these paths (relative to top), so the index holds paved's files and nothing else. */
export async function stagePaths(top: string, paths: readonly string[]): Promise<void> {
  await runGit(top, [...BULK_CHECK_IN, "add", "--", ...paths]);
}

/**
 * Take `paths` out of the index again (a failed `git add` may have staged some before it stopped): the clean tree
 * checked before means none of them was in the index before paved. Best effort, for a rollback.
 */
export async function unstagePaths(top: string, paths: readonly string[]): Promise<void> {
  await tryGit(top, ["rm", "--cached", "-r", "-q", "--ignore-unmatch", "--", ...paths]).catch(() => undefined);
}

/** Commit what is staged on the current branch; a failure is exit 1 quoting git (the files stay staged). */
export async function commitStaged(top: string, message: string, identityArgs: readonly string[]): Promise<string> {
  try {
    await runGit(top, [...identityArgs, "commit", "--quiet", "--no-verify", "-m", message]);
    return (await runGit(top, ["rev-parse", "HEAD"])).trim();
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(`git could not commit the new files: ${error.fields.gitMessage ?? error.message}`, {
      hint: "the files are written and staged: fix git's complaint and run `git commit` yourself",
      exitCode: 1,
    });
  }
}

/** The top of the git work tree holding `dir`, or undefined outside one (or without git): doctor reads what it can. */
export function workTreeTopSync(dir: string): string | undefined {
  try {
    return runGitSync(dir, ["rev-parse", "--show-toplevel"]).trim() || undefined;
  } catch {
    return undefined;
  }
}
