import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseServiceFileText, SERVICE_FILE, type ServiceFile } from "../service-file.js";
import { cacheRoot } from "../templates/git-source.js";
import type { EvaluateOptions } from "./evaluate.js";
import { runGit } from "./git.js";
import { serviceRowSchema, type ServiceRow } from "./model.js";

/**
 * What a row depends on, hashed: the settings, paved's version (checks and templates ship with it), the
 * repository's HEAD (in git status), every ref (tags are first deploys), its uncommitted changes, its .paved.yml and the
 * versions of its template (a released version is immutable, so its date and files are too). Undefined when the directory is not a git repository: there is no cheap way
 * to know it did not change, so it is evaluated every time.
 */
export async function cacheKey(
  id: string,
  dir: string,
  options: EvaluateOptions,
  pavedVersion: string,
  versionsOf: (dir: string, service: ServiceFile) => Promise<string[]>,
): Promise<string | undefined> {
  const [status, refs] = await Promise.all([runGit(dir, ["status", "--porcelain=v2", "--branch", "--untracked-files=all"]), refsFingerprint(dir)]);
  if (!status.ok || refs === undefined) return undefined;
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
    .update(JSON.stringify({ id, pavedVersion, asOf, deployTag, deployBranch, stickinessDays, waiverWarningDays, status: status.stdout, refs, serviceText, versions }))
    .digest("hex");
}

/**
 * Every ref's name and target. Read from the files under .git (loose refs and packed-refs) when .git is a
 * directory, which spares a git process per repository on every cached run; git itself otherwise (worktrees).
 */
async function refsFingerprint(dir: string): Promise<string | undefined> {
  const gitDir = path.join(dir, ".git");
  const isDirectory = await stat(gitDir).then((s) => s.isDirectory(), () => false);
  if (!isDirectory) {
    const refs = await runGit(dir, ["for-each-ref", "--format=%(objectname) %(refname)"]);
    return refs.ok ? refs.stdout : undefined;
  }
  const parts: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(path.join(gitDir, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(child);
      else parts.push(`${child} ${await readFile(path.join(gitDir, child), "utf8").catch(() => "?")}`);
    }
  };
  await walk("refs");
  const packed = await readFile(path.join(gitDir, "packed-refs"), "utf8").catch(() => "");
  return `${parts.join("")}\n${packed}`;
}

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
