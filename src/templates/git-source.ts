import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import semver from "semver";
import { UserError } from "../errors.js";
import { credentialFreeUrl, redactSecrets } from "../redact.js";
import type { FileTree } from "../tree.js";
import type { Manifest } from "./manifest.js";
import {
  assertTemplateSymlinks,
  defaultWarn,
  MANIFEST_FILE,
  parseManifestText,
  visibleVersions,
  type ListVersionsOptions,
  type SourceOptions,
  type TemplateSource,
  type TemplateVersion,
} from "./source.js";

/**
 * How long a cached clone counts as fresh when the latest version is asked for. Short enough that a
 * release shows up within minutes, long enough that a script running paved in a loop does not fetch
 * every time. A specific version missing from the cache is always fetched. `PAVED_CACHE_TTL` (seconds) overrides.
 */
export const DEFAULT_CACHE_TTL_SECONDS = 300;
const FETCH_TIMEOUT_MS = 120_000;
const STAMP_FILE = "paved-source.json";

/** `PAVED_CACHE`, else `$XDG_CACHE_HOME/paved`, else `~/.cache/paved`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PAVED_CACHE) return path.resolve(env.PAVED_CACHE);
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), ".cache"), "paved");
}

function cacheTtlMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PAVED_CACHE_TTL;
  const seconds = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : DEFAULT_CACHE_TTL_SECONDS;
  return seconds * 1000;
}

/** One cache entry per repository however its URL is spelled (credentials, `.git`, trailing slash, host case). */
export function normalizeGitUrl(url: string): string {
  let out = credentialFreeUrl(url).url;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(out)) {
    try {
      const parsed = new URL(out);
      parsed.hash = "";
      out = parsed.toString();
    } catch {
      // not a URL the WHATWG parser knows; use it as written
    }
  }
  return out.replace(/\/+$/, "").replace(/\.git$/, "");
}

export function cacheDirFor(url: string, env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash("sha256").update(normalizeGitUrl(url)).digest("hex");
  return path.join(cacheRoot(env), "git", hash);
}

/** `v1.2.0` or `1.2.0` -> `1.2.0`; anything else is not a version. */
export function versionOfTag(tag: string): string | undefined {
  const bare = tag.startsWith("v") ? tag.slice(1) : tag;
  return semver.valid(bare) === bare ? bare : undefined;
}

/** Never wait for a password or a host-key question: paved runs in CI too. */
const GIT_ENV: Record<string, string> = {
  GIT_TERMINAL_PROMPT: "0",
  LC_ALL: "C",
  GIT_OPTIONAL_LOCKS: "0",
  ...(process.env.GIT_SSH_COMMAND || process.env.GIT_SSH ? {} : { GIT_SSH_COMMAND: "ssh -o BatchMode=yes" }),
};

interface TreeEntry {
  mode: string;
  type: string;
  object: string;
  path: string;
}

/**
 * A git repository holding one template at its root (template.yaml + files/); its semver tags are
 * the versions, untagged commits are not. A remote (any URL) is mirrored once into the cache and
 * fetched only when needed; a local repository is read in place.
 */
export class GitSource implements TemplateSource {
  readonly kind = "git" as const;
  readonly trusted = false;
  private tags: Map<string, string> | undefined;
  private fetched = false;
  private ready: Promise<void> | undefined;
  private name: Promise<string | undefined> | undefined;
  private readonly versions = new Map<string, Promise<TemplateVersion>>();
  private readonly warn: (message: string) => void;

  private constructor(
    /** The URL without credentials, or the repository's absolute path. */
    readonly id: string,
    /** As given, credentials included: only ever passed to git, through the environment (see fetchEnv). */
    private readonly url: string,
    /** The parts of `url` that may carry a secret, scrubbed from every message git gives. */
    private readonly secrets: readonly string[],
    /** Where git reads from: the cache mirror, or the local repository itself. */
    readonly gitDir: string,
    readonly remote: boolean,
    readonly credentialsStripped: boolean,
    private readonly options: SourceOptions,
  ) {
    this.warn = options.warn ?? defaultWarn;
  }

  static fromUrl(url: string, options: SourceOptions = {}): GitSource {
    const { url: id, stripped, secrets } = credentialFreeUrl(url);
    return new GitSource(id, url, secrets, cacheDirFor(url), true, stripped, options);
  }

  static fromLocalRepository(dir: string, options: SourceOptions = {}): GitSource {
    const absolute = path.resolve(dir);
    return new GitSource(absolute, absolute, [], absolute, false, false, options);
  }

  async listTemplates(): Promise<string[]> {
    await this.prepare();
    await this.refreshIfStale();
    const name = await this.templateName();
    return name ? [name] : [];
  }

  async listVersions(template: string, options: ListVersionsOptions = {}): Promise<string[]> {
    await this.prepare();
    const tags = await this.readTags();
    if (options.want === undefined) await this.refreshIfStale();
    else if (!tags.has(options.want)) await this.refresh(false);
    await this.assertTemplate(template);
    return visibleVersions(await this.allVersions(), this.options.prerelease ?? false);
  }

  /** Every version: a caller choosing among all of them wants them fresh, so a stale cache is fetched. */
  async listAllVersions(template: string): Promise<string[]> {
    await this.prepare();
    await this.refreshIfStale();
    await this.assertTemplate(template);
    return this.allVersions();
  }

  loadVersion(template: string, version: string): Promise<TemplateVersion> {
    let loaded = this.versions.get(version);
    if (!loaded) {
      loaded = this.readVersion(template, version);
      this.versions.set(version, loaded);
      loaded.catch(() => this.versions.delete(version));
    }
    return loaded;
  }

  /** The tag a version comes from (for messages and lint). */
  async tagOf(version: string): Promise<string | undefined> {
    await this.prepare();
    return (await this.readTags()).get(version);
  }

  private async allVersions(): Promise<string[]> {
    return [...(await this.readTags()).keys()].sort(semver.compare);
  }

  private async readVersion(template: string, version: string): Promise<TemplateVersion> {
    await this.prepare();
    let tag = (await this.readTags()).get(version);
    if (!tag && this.remote && !this.fetched) {
      await this.refresh(false);
      tag = (await this.readTags()).get(version);
    }
    if (!tag) {
      const known = await this.allVersions();
      throw new UserError(`template "${template}" has no version ${version} in ${this.id} (no tag v${version} or ${version})`, {
        hint: known.length ? `use one of: ${known.join(", ")}` : "tag a release of the template repository, e.g. `git tag v1.0.0`",
      });
    }
    const where = `${this.label()}@${tag}`;
    const entries = await this.listTree(tag);
    const blobs = await this.readBlobs(entries.map((e) => e.object));
    const manifestEntry = entries.find((e) => e.path === MANIFEST_FILE);
    const manifestBlob = manifestEntry && blobs.get(manifestEntry.object);
    if (!manifestBlob) throw await this.missingManifest(tag);
    const missing = entries.find((e) => e.type === "blob" && !blobs.has(e.object));
    if (missing) {
      const why = `the object of ${tag}:${missing.path} is missing`;
      throw this.remote ? this.damaged(why) : new UserError(`${this.id}: ${why}`, { hint: "run `git fsck` in the repository and repair it" });
    }
    const manifest: Manifest = parseManifestText(Buffer.from(manifestBlob).toString("utf8"), `${where}:${MANIFEST_FILE}`);
    if (manifest.version !== version) {
      throw new UserError(`${this.id}: tag ${tag} holds a template.yaml with version ${manifest.version}, not ${version}`, {
        hint: `set version: ${version} in template.yaml and move the tag, or tag that commit v${manifest.version}`,
      });
    }
    const files: FileTree = new Map();
    for (const entry of entries) {
      if (!entry.path.startsWith("files/")) continue;
      const relative = entry.path.slice("files/".length);
      const data = blobs.get(entry.object);
      if (entry.type !== "blob" || !data) continue; // submodules are not template files
      if (entry.mode === "120000") {
        const target = Buffer.from(data).toString("utf8");
        files.set(relative, { data: new Uint8Array(0), mode: 0o777, symlink: target });
      } else {
        files.set(relative, { data, mode: entry.mode === "100755" ? 0o755 : 0o644 });
      }
    }
    assertTemplateSymlinks(files, (relative) => `${where}:files/${relative}`);
    return { manifest, files, dir: where, source: this };
  }

  /** `github.com/org/repo.git`: the id without its scheme, so `path.join(dir, file)` stays readable. */
  private label(): string {
    return this.remote ? this.id.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "") : this.id;
  }

  private async git(args: string[], input?: Uint8Array): Promise<Uint8Array> {
    const result = await execa("git", args, {
      cwd: this.gitDir,
      env: GIT_ENV,
      encoding: "buffer",
      reject: false,
      stripFinalNewline: false,
      ...(input ? { input } : { stdin: "ignore" as const }),
    });
    if (result.failed) {
      const stderr = Buffer.from(result.stderr).toString("utf8").trim();
      const lines = stderr.split("\n").filter(Boolean);
      const why = `git ${args[0]}: ${this.redact(lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[0] ?? "failed")}`;
      throw this.remote ? this.damaged(why) : new UserError(`${this.id}: ${why}`, { hint: "check that it is a git repository and that `git fsck` finds it whole" });
    }
    return result.stdout;
  }

  /**
   * Reading the cache failed although it was fetched whole (a disk error, an interrupted clean-up, a hand
   * edit): say so, and how to start afresh, instead of blaming the template.
   */
  private damaged(why: string): UserError {
    return new UserError(`the cached copy of ${this.id} in ${this.gitDir} is damaged (${why})`, {
      hint: `delete ${this.gitDir} (or all of paved's cache, ${cacheRoot()}, which PAVED_CACHE sets) and run again; paved fetches a fresh copy`,
    });
  }

  /** A tag whose template.yaml cannot be read: missing from the tree (the author's mistake), or a damaged repository. */
  private async missingManifest(tag: string, readError?: unknown): Promise<UserError> {
    const listed = await this.gitText(["ls-tree", "--full-tree", `refs/tags/${tag}`, "--", MANIFEST_FILE]).catch((error: unknown) => error);
    if (listed instanceof UserError) return listed;
    if (typeof listed === "string" && listed.trim() === "") {
      return new UserError(`${this.id}: tag ${tag} has no ${MANIFEST_FILE} at the repository root`, {
        hint: "a template repository holds template.yaml and files/ at its root; move the tag to such a commit",
      });
    }
    const why = readError instanceof UserError ? readError.message : `the object of ${tag}:${MANIFEST_FILE} is missing`;
    return this.remote ? this.damaged(why) : new UserError(`${this.id}: cannot read ${tag}:${MANIFEST_FILE} (${why})`, { hint: "run `git fsck` in the repository and repair it" });
  }

  private async gitText(args: string[]): Promise<string> {
    return Buffer.from(await this.git(args)).toString("utf8");
  }

  private redact(text: string): string {
    return redactSecrets(text, this.secrets);
  }

  /**
   * The cache's git config names the repository by its credential-free URL; the URL as given (with its
   * token) reaches git only in this process's environment, as a `url.<given>.insteadOf <clean>` rewrite,
   * so no token is ever written to disk.
   */
  private fetchEnv(): Record<string, string> {
    if (this.url === this.id) return GIT_ENV;
    const first = Number(process.env.GIT_CONFIG_COUNT ?? 0) || 0;
    return {
      ...GIT_ENV,
      GIT_CONFIG_COUNT: String(first + 1),
      [`GIT_CONFIG_KEY_${first}`]: `url.${this.url}.insteadOf`,
      [`GIT_CONFIG_VALUE_${first}`]: this.id,
    };
  }

  private async listTree(tag: string): Promise<TreeEntry[]> {
    const raw = await this.gitText(["ls-tree", "-r", "-z", "--full-tree", `refs/tags/${tag}`, "--", MANIFEST_FILE, "files"]);
    const entries: TreeEntry[] = [];
    for (const record of raw.split("\0")) {
      if (!record) continue;
      const tab = record.indexOf("\t");
      const [mode, type, object] = record.slice(0, tab).split(" ");
      entries.push({ mode: mode!, type: type!, object: object!, path: record.slice(tab + 1) });
    }
    return entries;
  }

  /** Every blob in one `git cat-file --batch`: "<oid> <type> <size>\n<bytes>\n" per object. */
  private async readBlobs(objects: string[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const unique = [...new Set(objects)];
    if (unique.length === 0) return out;
    const raw = Buffer.from(await this.git(["cat-file", "--batch"], Buffer.from(unique.join("\n") + "\n")));
    let offset = 0;
    while (offset < raw.length) {
      const newline = raw.indexOf(10, offset);
      const [oid, type, size] = raw.subarray(offset, newline).toString("utf8").split(" ");
      offset = newline + 1;
      if (type === "missing" || size === undefined) continue;
      const length = Number(size);
      if (type === "blob") out.set(oid!, new Uint8Array(raw.subarray(offset, offset + length)));
      offset += length + 1;
    }
    return out;
  }

  private async readTags(): Promise<Map<string, string>> {
    if (this.tags) return this.tags;
    const raw = await this.gitText(["for-each-ref", "--format=%(refname:strip=2)", "refs/tags"]);
    const tags = new Map<string, string>();
    for (const tag of raw.split("\n").map((t) => t.trim()).filter(Boolean)) {
      const version = versionOfTag(tag);
      // Both v1.2.0 and 1.2.0: prefer the v-tag, the common convention.
      if (version && (!tags.has(version) || tag.startsWith("v"))) tags.set(version, tag);
    }
    this.tags = tags;
    return tags;
  }

  private async templateName(): Promise<string | undefined> {
    this.name ??= (async () => {
      const all = await this.allVersions();
      const visible = visibleVersions(all, this.options.prerelease ?? false);
      const newest = visible[visible.length - 1] ?? all[all.length - 1];
      if (!newest) return undefined;
      const tag = (await this.readTags()).get(newest)!;
      const text = await this.gitText(["cat-file", "blob", `refs/tags/${tag}:${MANIFEST_FILE}`]).catch(async (error: unknown) => {
        throw await this.missingManifest(tag, error);
      });
      return parseManifestText(text, `${this.label()}@${tag}:${MANIFEST_FILE}`).name;
    })();
    return this.name;
  }

  private async assertTemplate(template: string): Promise<void> {
    const name = await this.templateName();
    if (name === template) return;
    throw new UserError(`unknown template "${template}" in ${this.id}`, {
      hint: name ? `this repository holds the template "${name}"; run \`paved new ${name}\`` : "the repository has no version tags yet (e.g. v1.0.0)",
    });
  }

  /** A remote source is cloned into the cache the first time it is used. */
  private prepare(): Promise<void> {
    this.ready ??= (async () => {
      if (!this.remote) {
        if (!existsSync(this.gitDir)) throw new UserError(`${this.id}: no such git repository`, { hint: "pass --source a git URL or repository path" });
        return;
      }
      if (existsSync(path.join(this.gitDir, STAMP_FILE))) return;
      await this.clone();
    })();
    return this.ready;
  }

  private async clone(): Promise<void> {
    // Build beside the final place and rename: a concurrent paved never sees half a clone, so a
    // directory there without the stamp is debris from an older crash and may go.
    const temporary = `${this.gitDir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      try {
        await mkdir(path.dirname(this.gitDir), { recursive: true });
        await execa("git", ["init", "--quiet", "--bare", temporary], { env: GIT_ENV, stdin: "ignore" });
        await execa("git", ["config", "remote.origin.url", this.id], { cwd: temporary, env: GIT_ENV, stdin: "ignore" });
        await execa("git", ["config", "remote.origin.fetch", "+refs/tags/*:refs/tags/*"], { cwd: temporary, env: GIT_ENV, stdin: "ignore" });
      } catch (error) {
        const detail = (error as { shortMessage?: string }).shortMessage ?? (error as Error).message;
        throw new UserError(`cannot create the git cache in ${path.dirname(this.gitDir)}: ${this.redact(detail.split("\n")[0] ?? "")}`, {
          code: "git-cache",
          hint: "make that directory writable, or set PAVED_CACHE to a writable directory",
        });
      }
      await this.runFetch(temporary);
      await this.writeStamp(temporary);
      if (existsSync(this.gitDir) && !existsSync(path.join(this.gitDir, STAMP_FILE))) await rm(this.gitDir, { recursive: true, force: true });
      await rename(temporary, this.gitDir).catch(async (error: NodeJS.ErrnoException) => {
        if (!existsSync(path.join(this.gitDir, STAMP_FILE))) throw error;
      });
      this.fetched = true;
    } catch (error) {
      if (error instanceof UserError && error.code === "git-cache") throw error;
      if (error instanceof UserError) {
        throw new UserError(`cannot clone the template source ${this.id}: ${error.message}`, {
          hint: "check the URL, your network and your access (a credential helper or a token in PAVED_SOURCE)",
        });
      }
      throw error;
    } finally {
      await rm(temporary, { recursive: true, force: true }).catch(() => {});
    }
  }

  private async runFetch(gitDir: string): Promise<void> {
    // A cache made by an older paved may hold the token in its config: name the remote without it.
    await execa("git", ["config", "remote.origin.url", this.id], { cwd: gitDir, env: GIT_ENV, stdin: "ignore", reject: false });
    const result = await execa("git", ["fetch", "--quiet", "--prune", "--force", "--no-write-fetch-head", "origin"], {
      cwd: gitDir,
      env: this.fetchEnv(),
      reject: false,
      timeout: FETCH_TIMEOUT_MS,
      stdin: "ignore",
    });
    if (result.failed) {
      const why = result.timedOut ? `no answer within ${FETCH_TIMEOUT_MS / 1000} s` : (String(result.stderr).trim().split("\n").find(Boolean) ?? "git fetch failed");
      throw new UserError(this.redact(why));
    }
  }

  /** The stamp's mtime is when the cache was last fetched. */
  private async writeStamp(gitDir: string): Promise<void> {
    await writeFile(path.join(gitDir, STAMP_FILE), JSON.stringify({ url: this.id, fetchedAt: new Date().toISOString() }) + "\n");
  }

  private async stampAgeMs(): Promise<number> {
    const mtime = await stat(path.join(this.gitDir, STAMP_FILE)).then((s) => s.mtimeMs, () => 0);
    return Date.now() - mtime;
  }

  private async refreshIfStale(): Promise<void> {
    if (!this.remote || this.fetched) return;
    if ((await this.stampAgeMs()) < cacheTtlMs()) return;
    await this.refresh(true);
  }

  /** Fetch new tags; when offline, go on with the cache and say so. */
  private async refresh(forFreshness: boolean): Promise<void> {
    if (!this.remote || this.fetched) return;
    this.fetched = true;
    try {
      await this.runFetch(this.gitDir);
      await this.writeStamp(this.gitDir);
      this.tags = undefined;
      this.name = undefined;
    } catch (error) {
      const why = error instanceof UserError ? error.message : String(error);
      const minutes = Math.round((await this.stampAgeMs()) / 60_000);
      const age = minutes < 1 ? "less than a minute" : minutes < 120 ? `${minutes} minute${minutes === 1 ? "" : "s"}` : `${Math.round(minutes / 60)} hours`;
      this.warn(
        `could not fetch ${this.id} (${why}); using the cached copy from ${age} ago` +
          (forFreshness ? "" : ", which may lack the version asked for"),
      );
    }
  }
}
