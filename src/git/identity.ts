import { tryGit } from "./run.js";

/** Who commits when the user has no git identity: said in a warning, never silently. */
export const FALLBACK_IDENTITY = { name: "paved", email: "paved@localhost" } as const;

/**
 * The `-c user.name=… -c user.email=…` arguments a commit by paved needs in `cwd`: none when git knows who the
 * user is (GIT_AUTHOR_* or user.name and user.email in git's config), else paved's identity for both. One
 * rule for `paved new` and `paved upgrade --commit`; one git process.
 */
export async function commitIdentityArgs(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  let name = env.GIT_AUTHOR_NAME ?? "";
  let email = env.GIT_AUTHOR_EMAIL ?? "";
  if (!name.trim() || !email.trim()) {
    const configured = await tryGit(cwd, ["config", "--null", "--get-regexp", "^user\\.(name|email)$"]);
    for (const record of configured.stdout.split("\0")) {
      const [key, ...value] = record.split("\n");
      if (key === "user.name" && !name.trim()) name = value.join("\n");
      if (key === "user.email" && !email.trim()) email = value.join("\n");
    }
  }
  return name.trim() && email.trim() ? [] : ["-c", `user.name=${FALLBACK_IDENTITY.name}`, "-c", `user.email=${FALLBACK_IDENTITY.email}`];
}
