import { existsSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import { redactUrl } from "../redact.js";
import { FALLBACK_IDENTITY } from "./identity.js";
import { runGit, tryGit } from "./run.js";

function nearestExisting(dir: string): string {
  let current = path.resolve(dir);
  while (!existsSync(current)) {
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

export interface GitSetup {
  /** The top of a work tree that already contains the target, if any (paved new refuses to nest). */
  enclosing: string | undefined;
  /** The user's `init.defaultBranch`, or main. */
  branch: string;
  /** `-c user.name/-c user.email` when no identity is configured (see ./identity.ts), else none. */
  identityArgs: string[];
}

/**
 * What `paved new` needs to know before creating a repository at `target`, in two git processes: whether git is
 * installed and the target is inside another work tree, and the configured default branch and identity.
 */
export async function gitSetupFor(target: string): Promise<GitSetup> {
  const cwd = nearestExisting(path.dirname(target));
  const top = await tryGit(cwd, ["rev-parse", "--show-toplevel"]).catch((error: unknown) => {
    if (error instanceof UserError) return undefined; // git did not start
    throw error;
  });
  if (!top) throw new UserError("git is not installed or not on PATH", { hint: "install git, or pass --no-git to skip creating a repository" });
  const config = await tryGit(cwd, ["config", "--null", "--get-regexp", "^(init\\.defaultbranch|user\\.name|user\\.email)$"]);
  const values = new Map<string, string>();
  for (const record of config.stdout.split("\0")) {
    const newline = record.indexOf("\n");
    if (newline > 0) values.set(record.slice(0, newline).toLowerCase(), record.slice(newline + 1));
  }
  const name = process.env.GIT_AUTHOR_NAME || values.get("user.name") || "";
  const email = process.env.GIT_AUTHOR_EMAIL || values.get("user.email") || "";
  return {
    enclosing: top.exitCode === 0 ? top.stdout.trim() || undefined : undefined,
    branch: values.get("init.defaultbranch")?.trim() || "main",
    identityArgs: name.trim() && email.trim() ? [] : ["-c", `user.name=${FALLBACK_IDENTITY.name}`, "-c", `user.email=${FALLBACK_IDENTITY.email}`],
  };
}

export interface InitResult {
  branch: string;
  commit: string;
  /** True when no git identity was configured and the commit was made as paved. */
  usedFallbackIdentity: boolean;
}

/** `git init` on `setup.branch` and one commit of every file. A failure is exit 1 quoting git. */
export async function initRepositoryWithCommit(dir: string, message: string, setup: Pick<GitSetup, "branch" | "identityArgs">): Promise<InitResult> {
  try {
    await runGit(dir, ["init", "--quiet", "--initial-branch", setup.branch]);
    await runGit(dir, ["add", "--all"]);
    await runGit(dir, [...setup.identityArgs, "commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message]);
    const commit = (await runGit(dir, ["rev-parse", "HEAD"])).trim();
    return { branch: setup.branch, commit, usedFallbackIdentity: setup.identityArgs.length > 0 };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(`git could not create the first commit: ${error.fields.gitMessage ?? error.message}`, {
      hint: error.fields.errno === "ENOSPC" ? "free some space and run again" : "run again with --no-git and commit yourself, or fix git's configuration",
      exitCode: 1,
    });
  }
}

export async function addRemoteAndPush(dir: string, url: string, branch: string): Promise<void> {
  try {
    await runGit(dir, ["remote", "add", "origin", url]);
    await runGit(dir, ["push", "--quiet", "--set-upstream", "origin", branch]);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(`could not push to ${redactUrl(url)}: ${error.fields.gitMessage ?? error.message}`, {
      hint: "check the URL and your access to it, or leave out --remote and push later",
      exitCode: 1,
    });
  }
}
