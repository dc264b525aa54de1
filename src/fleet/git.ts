import { UserError } from "../errors.js";
import { tryGit } from "../git/run.js";

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

/**
 * Run git read-only in `cwd` through paved's one git runner (src/git/run.ts); never throws for git's own
 * failures, nor when git cannot start (a fleet row records them). `env` is added to paved's environment.
 */
export async function runGit(cwd: string, args: string[], input?: string, env: Record<string, string> = GIT_ENV): Promise<GitResult> {
  try {
    const result = await tryGit(cwd, args, input, env);
    return { ok: result.exitCode === 0, stdout: result.stdout, stderr: result.stderr };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { ok: false, stdout: "", stderr: `fatal: ${error.fields.gitMessage ?? error.message}` };
  }
}

/** The first line of git's complaint, for a row's reason. */
export function gitComplaint(result: GitResult): string {
  return (
    result.stderr
      .split("\n")
      .map((l) => l.trim())
      .find((l) => /fatal|error/i.test(l)) ??
    result.stderr.trim().split("\n")[0] ??
    "git failed"
  );
}
