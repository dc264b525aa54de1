import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { cacheRoot, normalizeGitUrl } from "../templates/git-source.js";
import { gitComplaint, runGit } from "./git.js";

/** Where a fleet target's clone lives: one per repository however its URL is spelled. */
export function fleetCloneDir(url: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), "fleet", createHash("sha256").update(normalizeGitUrl(url)).digest("hex"));
}

export type CloneResult = { ok: true; dir: string } | { ok: false; reason: string };

/**
 * A working copy of a git URL in the cache: cloned the first time, fetched and reset to the remote's HEAD
 * after that. A blob-less partial clone rather than a shallow one: the adoption history reads every commit
 * that touched .paved.yml and every tag, while only the files at HEAD are downloaded.
 */
export async function cloneOrFetch(url: string, env: NodeJS.ProcessEnv = process.env): Promise<CloneResult> {
  const dir = fleetCloneDir(url, env);
  if (existsSync(path.join(dir, ".git"))) {
    const fetched = await runGit(dir, ["fetch", "--quiet", "--prune", "--force", "--tags", "origin"]);
    if (!fetched.ok) return { ok: false, reason: `cannot fetch: ${gitComplaint(fetched)}` };
    const reset = await runGit(dir, ["reset", "--quiet", "--hard", "refs/remotes/origin/HEAD"]);
    if (!reset.ok) return { ok: false, reason: `cannot update the cached clone: ${gitComplaint(reset)}` };
    return { ok: true, dir };
  }
  await mkdir(path.dirname(dir), { recursive: true });
  // Clone beside the final place and rename: a concurrent run never sees half a clone.
  const temporary = `${dir}.tmp-${randomBytes(4).toString("hex")}`;
  const cloned = await runGit(path.dirname(dir), ["clone", "--quiet", "--filter=blob:none", "--", url, temporary]);
  if (!cloned.ok) {
    await rm(temporary, { recursive: true, force: true });
    return { ok: false, reason: `cannot clone: ${gitComplaint(cloned)}` };
  }
  await rename(temporary, dir).catch(async () => {
    // Another run won the race; its clone is as good as ours.
    await rm(temporary, { recursive: true, force: true });
  });
  return { ok: true, dir };
}
