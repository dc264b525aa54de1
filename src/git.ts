import { existsSync } from "node:fs";
import path from "node:path";
import { simpleGit, type SimpleGit } from "simple-git";
import { Interrupted, UserError } from "./errors.js";
import { interruptSignal, interruptedBy, trackChild } from "./fs/cleanup.js";

export const FALLBACK_IDENTITY = { name: "paved", email: "paved@localhost" } as const;

/** Every git call stops when paved is interrupted, and an interrupt waits for it to exit before cleaning up. */
function git(dir: string): SimpleGit {
  return simpleGit({ baseDir: dir, binary: "git", maxConcurrentProcesses: 4, trimmed: true, abort: interruptSignal });
}

function tracked<T>(work: Promise<T>): Promise<T> {
  return trackChild(work);
}

function nearestExisting(dir: string): string {
  let current = path.resolve(dir);
  while (!existsSync(current)) {
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

export async function assertGitInstalled(): Promise<void> {
  const version = await git(process.cwd()).version().catch(() => ({ installed: false }));
  if (!version.installed) {
    throw new UserError("git is not installed or not on PATH", { hint: "install git, or pass --no-git to skip creating a repository" });
  }
}

/** The top of the work tree that contains `dir`, if any. */
export async function enclosingWorktree(dir: string): Promise<string | undefined> {
  try {
    const top = await git(nearestExisting(dir)).revparse(["--show-toplevel"]);
    return top || undefined;
  } catch {
    return undefined;
  }
}

/** The user's `init.defaultBranch`, or main. */
export async function defaultBranch(dir: string): Promise<string> {
  const value = await git(nearestExisting(dir))
    .raw(["config", "--get", "init.defaultBranch"])
    .catch(() => "");
  const branch = value.trim();
  return branch || "main";
}

async function hasIdentity(g: SimpleGit): Promise<boolean> {
  const env = process.env;
  const name = env.GIT_AUTHOR_NAME || (await g.raw(["config", "--get", "user.name"]).catch(() => ""));
  const email = env.GIT_AUTHOR_EMAIL || (await g.raw(["config", "--get", "user.email"]).catch(() => ""));
  return Boolean(name.trim() && email.trim());
}

export interface InitResult {
  branch: string;
  commit: string;
  /** True when no git identity was configured and the commit was made as paved. */
  usedFallbackIdentity: boolean;
}

/** `git init` on the default branch and one commit of every file. */
export async function initRepositoryWithCommit(dir: string, message: string, branch: string): Promise<InitResult> {
  try {
    return await initAndCommit(dir, message, branch);
  } catch (error) {
    if (error instanceof UserError) throw error;
    if (interruptSignal.aborted) throw new Interrupted(interruptedBy() ?? "SIGINT");
    const detail = (error as Error).message.split("\n").find((l) => /fatal|error/i.test(l)) ?? (error as Error).message.split("\n")[0];
    throw new UserError(`git could not create the first commit: ${detail?.trim()}`, {
      hint: /space/i.test(detail ?? "") ? "free some space and run again" : "run again with --no-git and commit yourself, or fix git's configuration",
      exitCode: 1,
    });
  }
}

async function initAndCommit(dir: string, message: string, branch: string): Promise<InitResult> {
  const g = git(dir);
  await tracked(g.raw(["init", "--quiet", "--initial-branch", branch]));
  await tracked(g.raw(["add", "--all"]));
  const usedFallbackIdentity = !(await hasIdentity(g));
  const identityArgs = usedFallbackIdentity
    ? ["-c", `user.name=${FALLBACK_IDENTITY.name}`, "-c", `user.email=${FALLBACK_IDENTITY.email}`]
    : [];
  await tracked(g.raw([...identityArgs, "commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message]));
  const commit = (await tracked(g.revparse(["HEAD"]))).trim();
  return { branch, commit, usedFallbackIdentity };
}

export async function addRemoteAndPush(dir: string, url: string, branch: string): Promise<void> {
  const g = git(dir);
  try {
    await tracked(g.addRemote("origin", url));
    await tracked(g.raw(["push", "--quiet", "--set-upstream", "origin", branch]));
  } catch (error) {
    if (interruptSignal.aborted) throw new Interrupted(interruptedBy() ?? "SIGINT");
    const detail = (error as Error).message.split("\n").find((l) => l.trim()) ?? "push failed";
    throw new UserError(`could not push to ${url}: ${detail}`, {
      hint: "check the URL and your access to it, or leave out --remote and push later",
      exitCode: 1,
    });
  }
}
