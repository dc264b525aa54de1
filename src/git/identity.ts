import { tryGit } from "./run.js";

/** Who commits when the user has no git identity: said in a warning, never silently. */
export const FALLBACK_IDENTITY = { name: "paved", email: "paved@localhost" } as const;

/** user.name and user.email as git's configuration has them (either may be missing). */
export interface ConfiguredIdentity {
  name?: string | undefined;
  email?: string | undefined;
}

const IDENTITY_VARIABLES = ["GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"] as const;

/** True when the environment alone names the author and the committer: git's configuration need not be read. */
export function identityFromEnvironment(env: NodeJS.ProcessEnv = process.env): boolean {
  return IDENTITY_VARIABLES.every((key) => Boolean(env[key]?.trim()));
}

/**
 * The one identity rule for a commit by paved (`paved new`, `paved upgrade --commit`): no arguments when git
 * knows the author and the committer (GIT_AUTHOR_*, GIT_COMMITTER_*, else user.name and user.email), else
 * `-c user.name=… -c user.email=…` with paved's identity (the environment, where set, still wins in git).
 */
export function identityArgs(configured: ConfiguredIdentity, env: NodeJS.ProcessEnv = process.env): string[] {
  const known = (variable: string | undefined, value: string | undefined) => Boolean((variable || value)?.trim());
  const author = known(env.GIT_AUTHOR_NAME, configured.name) && known(env.GIT_AUTHOR_EMAIL, configured.email);
  const committer = known(env.GIT_COMMITTER_NAME, configured.name) && known(env.GIT_COMMITTER_EMAIL, configured.email);
  return author && committer ? [] : ["-c", `user.name=${FALLBACK_IDENTITY.name}`, "-c", `user.email=${FALLBACK_IDENTITY.email}`];
}

/** Parse `git config --null --get-regexp` output: lower-cased key -> value (the last one wins, as in git). */
export function parseConfigList(stdout: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const record of stdout.split("\0")) {
    const newline = record.indexOf("\n");
    if (newline > 0) values.set(record.slice(0, newline).toLowerCase(), record.slice(newline + 1));
  }
  return values;
}

/** {@link identityArgs} in `cwd`: reads git's configuration (one process) only when the environment does not decide. */
export async function commitIdentityArgs(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  if (identityFromEnvironment(env)) return [];
  const configured = parseConfigList((await tryGit(cwd, ["config", "--null", "--get-regexp", "^user\\.(name|email)$"])).stdout);
  return identityArgs({ name: configured.get("user.name"), email: configured.get("user.email") }, env);
}
