import { createHash, randomBytes } from "node:crypto";
import { type Dirent, lstatSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseServiceFileText, SERVICE_FILE, type ServiceFile } from "../service-file.js";
import { cacheRoot } from "../templates/git-source.js";
import type { EvaluateOptions } from "./evaluate.js";
import { runGit } from "./git.js";
import { serviceRowSchema, type ServiceRow } from "./model.js";

/**
 * What a row depends on, hashed: the settings, paved's version (checks and templates ship with it), the
 * repository's state (HEAD, every ref (tags are first deploys), the index, the working tree), its .paved.yml
 * and the versions of its template (a released version is immutable, so its date and files are too).
 * Undefined outside git: there is no history to key on, so it is evaluated every time.
 */
export async function cacheKey(
  id: string,
  dir: string,
  options: EvaluateOptions,
  pavedVersion: string,
  versionsOf: (dir: string, service: ServiceFile) => Promise<string[]>,
): Promise<string | undefined> {
  const state = await repositoryState(dir);
  if (state === undefined) return undefined;
  let serviceText: string | null = null;
  let versions: string[] = [];
  try {
    serviceText = readFileSync(path.join(dir, SERVICE_FILE), "utf8");
    versions = await versionsOf(dir, parseServiceFileText(serviceText, SERVICE_FILE));
  } catch {
    // No or a broken .paved.yml: its text (or absence) is the key; there are no releases to follow.
  }
  const { asOf, deployTag, deployBranch, stickinessDays, waiverWarningDays } = options;
  return createHash("sha256")
    .update(
      JSON.stringify({ id, pavedVersion, asOf, deployTag, deployBranch, stickinessDays, waiverWarningDays, state, serviceText, versions }),
    )
    .digest("hex");
}

/**
 * A fingerprint that changes whenever HEAD, a ref, the index or a file in the working tree does. With a
 * `.git` directory it is read from the file system: HEAD, loose and packed refs, the index's stat, and every
 * working-tree file's path, size, mode and mtime (the stat test git's own index uses to skip unchanged files)
 * — no git process, which is what makes a cached run cheap. A false miss (an untracked build output
 * touched) only costs an evaluation. Elsewhere (a worktree's `.git` file) git status and for-each-ref.
 */
async function repositoryState(dir: string): Promise<string | undefined> {
  const gitDir = path.join(dir, ".git");
  const gitStat = await stat(gitDir).catch(() => undefined);
  if (!gitStat) return undefined;
  if (!gitStat.isDirectory()) {
    const [status, refs] = await Promise.all([
      runGit(dir, ["status", "--porcelain=v2", "--branch", "--untracked-files=all"]),
      runGit(dir, ["for-each-ref", "--format=%(objectname) %(refname)"]),
    ]);
    return status.ok && refs.ok ? `${status.stdout}\n${refs.stdout}` : undefined;
  }
  const hash = createHash("sha256");
  hash.update(await readFile(path.join(gitDir, "HEAD"), "utf8").catch(() => "no HEAD"));
  const index = await stat(path.join(gitDir, "index")).catch(() => undefined);
  hash.update(`\0index ${index ? `${index.size} ${index.mtimeMs}` : "none"}`);
  const walkRefs = async (relative: string): Promise<void> => {
    const entries = await readdir(path.join(gitDir, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries.sort(byName)) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walkRefs(child);
      else hash.update(`\0${child} ${await readFile(path.join(gitDir, child), "utf8").catch(() => "?")}`);
    }
  };
  await walkRefs("refs");
  hash.update(`\0packed ${await readFile(path.join(gitDir, "packed-refs"), "utf8").catch(() => "")}`);
  const walkTree = (relative: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(path.join(dir, relative), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort(byName)) {
      if (relative === "" && entry.name === ".git") continue;
      if (entry.name === "node_modules") continue;
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        walkTree(child);
        continue;
      }
      const info = lstatSync(path.join(dir, child), { throwIfNoEntry: false });
      hash.update(`\0${child} ${info ? `${info.size} ${info.mode} ${info.mtimeMs}` : "gone"}`);
    }
  };
  walkTree("");
  return hash.digest("hex");
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function entryFile(key: string): string {
  return path.join(cacheRoot(), "fleet-rows", key.slice(0, 2), `${key}.json`);
}

/** A cached row, checked against the schema: a damaged or foreign entry is a miss, never a wrong row. */
export async function cachedRow(key: string): Promise<ServiceRow | undefined> {
  try {
    const parsed = serviceRowSchema.safeParse(JSON.parse(await readFile(entryFile(key), "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Written beside and renamed: a concurrent run reads a whole entry or none. A cache that cannot be written is skipped. */
export async function storeRow(key: string, row: ServiceRow): Promise<void> {
  const file = entryFile(key);
  const temporary = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temporary, JSON.stringify(row));
    await rename(temporary, file);
  } catch {
    // The report is still right without the cache; the next run evaluates again.
  }
}
