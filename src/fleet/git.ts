import { execa } from "execa";
import { interruptSignal, trackChild } from "../fs/cleanup.js";

/** Never prompt for credentials, never take optional locks in a repository another process may be using. */
export const GIT_ENV: Record<string, string> = {
  GIT_TERMINAL_PROMPT: "0",
  LC_ALL: "C",
  GIT_OPTIONAL_LOCKS: "0",
  ...(process.env.GIT_SSH_COMMAND || process.env.GIT_SSH ? {} : { GIT_SSH_COMMAND: "ssh -o BatchMode=yes" }),
};

export interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Run git read-only in `cwd`; never throws for git's own failures (a fleet row records them). */
export async function runGit(cwd: string, args: string[], input?: string, env: Record<string, string> = GIT_ENV): Promise<GitResult> {
  const result = await trackChild(
    execa("git", args, {
      cwd,
      env,
      reject: false,
      stripFinalNewline: false,
      cancelSignal: interruptSignal,
      ...(input !== undefined ? { input } : { stdin: "ignore" as const }),
    }),
  );
  return { ok: result.exitCode === 0, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** The first line of git's complaint, for a row's reason. */
export function gitComplaint(result: GitResult): string {
  return result.stderr.split("\n").map((l) => l.trim()).find((l) => /fatal|error/i.test(l)) ?? result.stderr.trim().split("\n")[0] ?? "git failed";
}
