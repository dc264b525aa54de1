import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { isMap, isScalar, parseDocument, type YAMLMap } from "yaml";
import { z } from "zod";
import { defined, UserError } from "../errors.js";
import { readTree } from "../fs/read-tree.js";
import { replaceEntry } from "../fs/safe-write.js";
import { assertTargetFree } from "../fs/staging.js";
import { writeTree } from "../fs/write-tree.js";
import { latestVersion } from "../templates/latest.js";
import { MANIFEST_FILE } from "../templates/source.js";
import { isExecutable, sortedEntries, textFile, type FileEntry, type FileTree } from "../tree.js";
import { describeIssue, firstIssue } from "../validation.js";

/** Beside the version folders: `<dir>/<version>/` for each version, and this file for the released ones. */
export const RELEASE_LOCK_FILE = "versions.lock.json";

const digestText = z.string().regex(/^sha256:[0-9a-f]{64}$/);
const lockSchema = z.object({
  lockfileVersion: z.literal(1),
  versions: z.record(
    z.string().refine((v) => semver.valid(v) === v, "must be a version like 1.2.0"),
    z.object({ digest: digestText, files: z.record(z.string(), digestText) }),
  ),
});
export type ReleaseLock = z.infer<typeof lockSchema>;
export interface LockedVersion {
  digest: string;
  /** Per file (`template.yaml`, `files/src/index.ts`): so a changed tree can name what changed. */
  files: Record<string, string>;
}

function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/**
 * One file's digest: its kind, mode and bytes (or symlink target). Modes are reduced to what git keeps
 * (executable or not), so a checkout under another umask gives the same digest.
 */
function entryDigest(entry: FileEntry): string {
  if (entry.symlink !== undefined) return sha256(`symlink\0${entry.symlink}`);
  const head = Buffer.from(`file\0${isExecutable(entry) ? "755" : "644"}\0`);
  return sha256(Buffer.concat([head, entry.data]));
}

/** The digest of a version's tree (template.yaml, files/ …): sorted paths with each file's digest. */
export function digestVersionTree(tree: FileTree): LockedVersion {
  const files: Record<string, string> = {};
  for (const [relative, entry] of sortedEntries(tree)) files[relative] = entryDigest(entry);
  const listing = Object.entries(files)
    .map(([p, d]) => `${p}\0${d}\n`)
    .join("");
  return { digest: sha256(listing), files };
}

/** The files that differ between a locked version and its tree now: changed, added and removed. */
export function changedFiles(locked: LockedVersion, now: LockedVersion): string[] {
  const names = new Set([...Object.keys(locked.files), ...Object.keys(now.files)]);
  return [...names].filter((n) => locked.files[n] !== now.files[n]).sort();
}

export function readReleaseLock(dir: string): ReleaseLock | undefined {
  const file = path.join(dir, RELEASE_LOCK_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UserError(`not valid JSON (${(error as Error).message})`, {
      hint: "restore it from git; `paved template release` writes it",
      fields: { file },
    });
  }
  const parsed = lockSchema.safeParse(data);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    throw new UserError(`${issue.path.join(".")}: ${describeIssue(issue)}`, {
      hint: "restore it from git; `paved template release` writes it",
      fields: { file },
    });
  }
  return parsed.data;
}

export function lockText(lock: ReleaseLock): string {
  const versions = Object.keys(lock.versions).sort(semver.compare);
  return `${JSON.stringify({ lockfileVersion: 1, versions: Object.fromEntries(versions.map((v) => [v, lock.versions[v]])) }, null, 2)}\n`;
}

/** The version folders of a directory of versions (`<dir>/<version>/template.yaml`), oldest first. */
export function versionFolders(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => semver.valid(n) === n && statSync(path.join(dir, n, MANIFEST_FILE), { throwIfNoEntry: false })?.isFile())
    .sort(semver.compare);
}

export interface LockDrift {
  version: string;
  /** Changed, added or removed files, relative to the version folder; empty when the folder is gone. */
  files: string[];
  missing: boolean;
}

/** Each locked version whose tree no longer matches its digest. */
export async function lockDrift(dir: string, lock: ReleaseLock): Promise<LockDrift[]> {
  const drift: LockDrift[] = [];
  for (const [version, locked] of Object.entries(lock.versions).sort(([a], [b]) => semver.compare(a, b))) {
    const folder = path.join(dir, version);
    if (!statSync(path.join(folder, MANIFEST_FILE), { throwIfNoEntry: false })?.isFile()) {
      drift.push({ version, files: [], missing: true });
      continue;
    }
    const now = digestVersionTree(await readTree(folder));
    if (now.digest !== locked.digest) drift.push({ version, files: changedFiles(locked, now), missing: false });
  }
  return drift;
}

export function describeDrift(d: LockDrift, limit = 5): string {
  if (d.missing) return `released version ${d.version} is locked but its folder is gone`;
  const shown = d.files.slice(0, limit).join(", ") + (d.files.length > limit ? ` and ${d.files.length - limit} more` : "");
  return `released version ${d.version} changed since it was locked: ${shown}`;
}

export interface ReleaseOptions {
  /** YYYY-MM-DD; default today (UTC). */
  date?: string;
  now?: Date;
}

export interface ReleaseResult {
  dir: string;
  version: string;
  from: string;
  released: string;
  /** The versions the lock file holds after the release. */
  locked: string[];
  /** Versions newly added to the lock file by this release. */
  newlyLocked: string[];
  files: number;
}

const HINT_LOCK = "restore the released files from git (a released version never changes: release a new one instead)";

/**
 * Start a new version of a template in a directory of versions: copy the latest version's folder, set
 * `version` and `released` and empty `changelog`, `actions` and `migrations` (the copied migrations
 * would otherwise run again on every upgrade to the new version), then lock every older version: the
 * lock file holds a digest per released tree so lint and tests notice when one changes.
 * The new version stays open for edits until the next release locks it.
 */
export async function releaseVersion(dirArg: string, version: string, options: ReleaseOptions = {}): Promise<ReleaseResult> {
  const dir = path.resolve(dirArg);
  if (semver.valid(version) !== version) {
    throw new UserError(`"${version}" is not a version`, { hint: "pass a semantic version without a leading v, e.g. 2.1.0" });
  }
  const released = options.date ?? (options.now ?? new Date()).toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(released) || new Date(`${released}T00:00:00Z`).toISOString().slice(0, 10) !== released) {
    throw new UserError(`--date ${released} is not a date`, { hint: "pass a date as YYYY-MM-DD, e.g. --date 2026-12-01" });
  }
  const versions = versionFolders(dir);
  // The newest folder, pre-releases included: a new version goes above every version there is (every folder is a
  // valid version, so there is one unless there are no folders).
  const latest = latestVersion(versions, { prerelease: true });
  if (latest === undefined) {
    throw new UserError("no version folders (<version>/template.yaml)", {
      fields: { file: dirArg },
      hint: "pass the directory that holds one folder per version, e.g. templates/service",
    });
  }
  if (versions.includes(version)) {
    throw new UserError(`version ${version} exists already`, {
      fields: { file: dirArg },
      hint: "release the next version, e.g. " + semver.inc(latest, "minor"),
    });
  }
  if (!semver.gt(version, latest)) {
    throw new UserError(`version ${version} is not above the latest version ${latest}`, {
      hint: `release a version above ${latest}, e.g. ${semver.inc(latest, "minor")}`,
    });
  }
  const target = path.join(dir, version);
  assertTargetFree(target);

  const lock = readReleaseLock(dir) ?? { lockfileVersion: 1 as const, versions: {} };
  const drift = await lockDrift(dir, lock);
  const [firstDrift] = drift;
  if (firstDrift) throw new UserError(`${describeDrift(firstDrift)}; not releasing on top of it`, { hint: HINT_LOCK });

  const tree = await readTree(path.join(dir, latest));
  const manifest = defined(tree.get(MANIFEST_FILE), "the latest version folder's manifest");
  tree.set(
    MANIFEST_FILE,
    textFile(
      nextManifest(Buffer.from(manifest.data).toString("utf8"), version, released, `${dirArg}/${latest}/${MANIFEST_FILE}`),
      manifest.mode,
    ),
  );

  // Every version before the new one is now released for good: lock the ones not locked yet.
  const newlyLocked: string[] = [];
  for (const v of versions) {
    if (lock.versions[v]) continue;
    lock.versions[v] = digestVersionTree(await readTree(path.join(dir, v)));
    newlyLocked.push(v);
  }

  mkdirSync(target, { recursive: true });
  try {
    await writeTree(target, tree);
  } catch (error) {
    rmSync(target, { recursive: true, force: true });
    throw error;
  }
  replaceEntry(dir, RELEASE_LOCK_FILE, textFile(lockText(lock)));
  return { dir, version, from: latest, released, locked: Object.keys(lock.versions).sort(semver.compare), newlyLocked, files: tree.size };
}

/**
 * The copied manifest with the new version's fields. Only those values' text is replaced (located through
 * the parsed document): comments, quoting and flow styles elsewhere stay byte for byte.
 */
export function nextManifest(text: string, version: string, released: string, file: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    throw new UserError(doc.errors[0]?.message.split("\n")[0] ?? "not a mapping", { hint: "fix the YAML syntax", fields: { file } });
  }
  const values: Record<string, string> = { version, released, changelog: '""', actions: "[]", migrations: "[]" };
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    const replacement = values[key];
    const keyEnd = (pair.key as { range?: [number, number, number] } | null)?.range?.[1];
    const range = (pair.value as { range?: [number, number, number] } | null)?.range;
    if (replacement === undefined || keyEnd === undefined || !range) continue;
    // From just after `key:` (a block sequence starts on the next line) to the value's end; a block
    // value's text runs to its last line's newline, which stays.
    const end = text.slice(range[0], range[1]).endsWith("\n") ? range[1] - 1 : range[1];
    edits.push({ start: text.indexOf(":", keyEnd) + 1, end, text: ` ${replacement}` });
  }
  const manifest = doc.contents as YAMLMap;
  if (!manifest.has("version"))
    throw new UserError("no version field", { hint: "the latest version's template.yaml must have a version", fields: { file } });
  let out = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  if (!manifest.has("released")) out = out.replace(/^(version:.*)$/m, `$1\nreleased: ${released}`);
  return out;
}

/** Two versions whose migrations are the same: usually a copied folder that kept the previous release's steps. */
export function migrationsRepeated(previous: unknown, current: unknown): boolean {
  return Array.isArray(current) && current.length > 0 && JSON.stringify(previous) === JSON.stringify(current);
}
