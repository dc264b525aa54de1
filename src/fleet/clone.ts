import { createHash, randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { onInterrupt } from "../fs/cleanup.js";
import { credentialFreeUrl, redactSecrets } from "../redact.js";
import { cacheRoot, normalizeGitUrl } from "../templates/git-source.js";
import { GIT_ENV, gitComplaint, runGit } from "./git.js";

/** Where a fleet target's clone lives: one per repository however its URL is spelled. */
export function fleetCloneDir(url: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), "fleet", createHash("sha256").update(normalizeGitUrl(url)).digest("hex"));
}

/**
 * The clone's config names the repository by its credential-free URL; the URL as given (with its token)
 * reaches git only in this process's environment, as a `url.<given>.insteadOf <clean>` rewrite (as the git
 * template source does), so no token is written to disk.
 */
function credentialEnv(given: string, clean: string): Record<string, string> {
  if (given === clean) return GIT_ENV;
  const first = Number(process.env.GIT_CONFIG_COUNT ?? 0) || 0;
  return {
    ...GIT_ENV,
    GIT_CONFIG_COUNT: String(first + 1),
    [`GIT_CONFIG_KEY_${first}`]: `url.${given}.insteadOf`,
    [`GIT_CONFIG_VALUE_${first}`]: clean,
  };
}

export type CloneResult = { ok: true; dir: string } | { ok: false; reason: string };

/**
 * A working copy of a git URL in the cache: cloned the first time, fetched and reset to the remote's HEAD
 * after that. A blob-less partial clone rather than a shallow one: the adoption history reads every commit
 * that touched .paved.yml and every tag, while only the files at HEAD are downloaded.
 */
export async function cloneOrFetch(url: string, env: NodeJS.ProcessEnv = process.env): Promise<CloneResult> {
  const dir = fleetCloneDir(url, env);
  const { url: clean, secrets } = credentialFreeUrl(url);
  const gitEnv = credentialEnv(url, clean);
  const complaint = (result: Parameters<typeof gitComplaint>[0]) => redactSecrets(gitComplaint(result), secrets);
  if (existsSync(path.join(dir, ".git"))) {
    const fetched = await runGit(dir, ["fetch", "--quiet", "--prune", "--force", "--tags", "origin"], undefined, gitEnv);
    if (!fetched.ok) return { ok: false, reason: `cannot fetch: ${complaint(fetched)}` };
    const reset = await runGit(dir, ["reset", "--quiet", "--hard", "refs/remotes/origin/HEAD"]);
    if (!reset.ok) return { ok: false, reason: `cannot update the cached clone: ${complaint(reset)}` };
    return { ok: true, dir };
  }
  await mkdir(path.dirname(dir), { recursive: true });
  // Clone beside the final place and rename: a concurrent run never sees half a clone.
  const temporary = `${dir}.tmp-${randomBytes(4).toString("hex")}`;
  // An interrupted run leaves no half clone behind.
  const forget = onInterrupt(() => rmSync(temporary, { recursive: true, force: true }));
  try {
    const cloned = await runGit(path.dirname(dir), ["clone", "--quiet", "--filter=blob:none", "--", clean, temporary], undefined, gitEnv);
    if (!cloned.ok) {
      await rm(temporary, { recursive: true, force: true });
      return { ok: false, reason: `cannot clone: ${complaint(cloned)}` };
    }
    await rename(temporary, dir).catch(async () => {
      // Another run won the race; its clone is as good as ours.
      await rm(temporary, { recursive: true, force: true });
    });
    return { ok: true, dir };
  } finally {
    forget();
  }
}
