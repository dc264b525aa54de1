import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import semver from "semver";
import { defined, UserError } from "../errors.js";
import { tryGitBytes } from "../git/run.js";
import { credentialFreeUrl, redactSecrets } from "../redact.js";
import type { FileTree } from "../tree.js";
import { latestVersion } from "./latest.js";
import { type Manifest, TEMPLATE_NAME } from "./manifest.js";
import {
  assertTemplateSymlinks,
  defaultWarn,
  GIT_LAYOUTS,
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

/** `v1.2.0` or `1.2.0` -> `1.2.0`; anything else is not a version of a repository's root template. */
export function versionOfTag(tag: string): string | undefined {
  const bare = tag.startsWith("v") ? tag.slice(1) : tag;
  return semver.valid(bare) === bare ? bare : undefined;
}

/**
 * What a release tag names: a version of the template at the repository's root (`v1.2.0`, `1.2.0`; `name` is
 * undefined, the manifest says it), or of one of several templates (`api@1.2.0` as changesets tags,
 * `api-v1.2.0` as lerna does; `name` is the template's).
 */
export interface TemplateTag {
  name: string | undefined;
  version: string;
  /** The preferred spelling wins when two tags name one version: `v1.2.0` over `1.2.0`, `api@1.2.0` over `api-v1.2.0`. */
  rank: number;
}

export function parseTemplateTag(tag: string): TemplateTag | undefined {
  const root = versionOfTag(tag);
  if (root) return { name: undefined, version: root, rank: tag.startsWith("v") ? 0 : 1 };
  const at = tag.lastIndexOf("@");
  if (at > 0) {
    const named = namedTag(tag.slice(0, at), tag.slice(at + 1), 0);
    if (named) return named;
  }
  // A name may itself hold "-v" (`api-v2-v1.0.0`): the first split that gives a name and a version wins.
  for (let i = tag.indexOf("-v"); i > 0; i = tag.indexOf("-v", i + 1)) {
    const named = namedTag(tag.slice(0, i), tag.slice(i + 2), 1);
    if (named) return named;
  }
  return undefined;
}

function namedTag(name: string, version: string, rank: number): TemplateTag | undefined {
  return TEMPLATE_NAME.test(name) && semver.valid(version) === version ? { name, version, rank } : undefined;
}

/** Where a named template may sit in a tagged tree, in the order they are looked for. */
export function namedTemplateFolders(name: string): [string, ...string[]] {
  return [`${name}/`, `templates/${name}/`];
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

/** The release tags, read once per fetch: the root template's versions and each named template's. */
interface TagIndex {
  /** version -> tag, for the template at the repository's root. */
  root: Map<string, string>;
  /** name -> version -> tag. */
  named: Map<string, Map<string, string>>;
}

/**
 * A git repository holding templates, read from release tags (untagged commits are never versions): one
 * template at its root (`template.yaml` + `files/`, tags `v<version>`), or several, each in `<name>/` or
 * `templates/<name>/` (tags `<name>@<version>` or `<name>-v<version>`). A remote (any URL) is mirrored once
 * into the cache, all templates together, and fetched only when needed; a local repository is read in place.
 */
export class GitSource implements TemplateSource {
  readonly kind = "git" as const;
  readonly trusted = false;
  private index: TagIndex | undefined;
  private fetched = false;
  private ready: Promise<void> | undefined;
  private rootNamePromise: Promise<string | undefined> | undefined;
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

  /** Every template with at least one release tag; a name both at the root and in a folder is refused. */
  async listTemplates(): Promise<string[]> {
    await this.prepare();
    await this.refreshIfStale();
    return this.orFetched(async () => {
      const index = await this.readIndex();
      const names = new Set(index.named.keys());
      const rootName = await this.rootName();
      if (rootName !== undefined) {
        if (names.has(rootName)) throw this.bothLayouts(rootName, index);
        names.add(rootName);
      }
      return [...names].sort();
    });
  }

  async listVersions(template: string, options: ListVersionsOptions = {}): Promise<string[]> {
    await this.prepare();
    if (options.want === undefined) await this.refreshIfStale();
    else if (!(await this.mayHave(template, options.want))) await this.refresh(false);
    return visibleVersions(await this.orFetched(() => this.allVersions(template)), this.options.prerelease ?? false);
  }

  /** Every version: a caller choosing among all of them wants them fresh, so a stale cache is fetched. */
  async listAllVersions(template: string): Promise<string[]> {
    await this.prepare();
    await this.refreshIfStale();
    return this.orFetched(() => this.allVersions(template));
  }

  /**
   * Read the cached tags; when they are refused (a stray tag, since deleted upstream, or a template not fetched
   * yet) and this process has not fetched, fetch once and read again: the error stands only if it is current.
   */
  private async orFetched<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof UserError) || !this.remote || this.fetched) throw error;
      await this.refresh(false);
      return read();
    }
  }

  loadVersion(template: string, version: string): Promise<TemplateVersion> {
    const key = `${template}@${version}`;
    let loaded = this.versions.get(key);
    if (!loaded) {
      loaded = this.readVersion(template, version);
      this.versions.set(key, loaded);
      loaded.catch(() => this.versions.delete(key));
    }
    return loaded;
  }

  /** Whether the cache already has a tag for this version (of this template, or of the root one): else fetch. */
  private async mayHave(template: string, version: string): Promise<boolean> {
    const index = await this.readIndex();
    return (index.named.get(template)?.has(version) ?? false) || index.root.has(version);
  }

  private async allVersions(template: string): Promise<string[]> {
    return [...(await this.versionTags(template)).keys()].sort(semver.compare);
  }

  /** A template's versions and their tags; an unknown template is a UserError naming the ones there are. */
  private async versionTags(template: string): Promise<Map<string, string>> {
    const tags = await this.templateTags(template);
    if (tags) return tags;
    const known = await this.listTemplates();
    throw new UserError(`unknown template "${template}" in ${this.id}`, {
      hint:
        known.length === 1
          ? `this repository holds the template "${known[0]}"; run \`paved new ${known[0]}\``
          : known.length > 1
            ? `use one of: ${known.join(", ")} (see \`paved templates --source ${this.id}\`)`
            : `the repository has no release tags yet; paved reads ${GIT_LAYOUTS}`,
    });
  }

  /** undefined when the repository has no release of `template`. */
  private async templateTags(template: string): Promise<Map<string, string> | undefined> {
    const index = await this.readIndex();
    const named = index.named.get(template);
    const rootName = await this.rootName();
    if (named && rootName === template) throw this.bothLayouts(template, index);
    return named ?? (rootName === template ? index.root : undefined);
  }

  private bothLayouts(name: string, index: TagIndex): UserError {
    const rootTag = [...index.root.values()][0];
    const namedTag = [...(index.named.get(name)?.values() ?? [])][0];
    return new UserError(
      `${this.id}: template "${name}" is released both at the repository root (tag ${rootTag}) and as a named template (tag ${namedTag})`,
      {
        hint: `tag the root template v<version> or ${name}@<version>, not both; see docs/sources.md`,
      },
    );
  }

  private async readVersion(template: string, version: string): Promise<TemplateVersion> {
    await this.prepare();
    let tag = await this.orFetched(async () => (await this.templateTags(template))?.get(version));
    if (!tag && this.remote && !this.fetched) {
      await this.refresh(false);
      tag = (await this.templateTags(template))?.get(version);
    }
    if (!tag) {
      const known = await this.allVersions(template);
      const named = (await this.readIndex()).named.has(template);
      throw new UserError(
        `template "${template}" has no version ${version} in ${this.id} (no tag ${named ? `${template}@${version} or ${template}-v${version}` : `v${version} or ${version}`})`,
        {
          hint: known.length
            ? `use one of: ${known.join(", ")}`
            : `tag a release of the template repository, e.g. \`git tag ${named ? `${template}@1.0.0` : "v1.0.0"}\``,
        },
      );
    }
    const named = parseTemplateTag(tag)?.name !== undefined;
    const where = `${this.label()}@${tag}`;
    const folders: [string, ...string[]] = named ? namedTemplateFolders(template) : [""];
    const all = await this.listTree(
      tag,
      folders.flatMap((folder) => [`${folder}${MANIFEST_FILE}`, `${folder}files`]),
    );
    const holding = folders.filter((folder) => all.some((e) => e.path === `${folder}${MANIFEST_FILE}`));
    if (holding.length > 1) {
      throw new UserError(`${this.id}: tag ${tag} holds both ${holding.map((f) => `${f}${MANIFEST_FILE}`).join(" and ")}`, {
        hint: `keep one copy of the template "${template}" (at ${folders.join(" or ")}) and move the tag`,
      });
    }
    const folder = holding[0] ?? folders[0];
    const entries = all.filter((e) => e.path.startsWith(folder)).map((e) => ({ ...e, path: e.path.slice(folder.length) }));
    const blobs = await this.readBlobs(entries.map((e) => e.object));
    const manifestEntry = entries.find((e) => e.path === MANIFEST_FILE);
    const manifestBlob = manifestEntry && blobs.get(manifestEntry.object);
    if (!manifestBlob) throw await this.missingManifest(tag, folders);
    const missing = entries.find((e) => e.type === "blob" && !blobs.has(e.object));
    if (missing) {
      const why = `the object of ${tag}:${folder}${missing.path} is missing`;
      throw this.remote
        ? this.damaged(why)
        : new UserError(`${this.id}: ${why}`, { hint: "run `git fsck` in the repository and repair it" });
    }
    const manifest: Manifest = parseManifestText(Buffer.from(manifestBlob).toString("utf8"), `${where}:${folder}${MANIFEST_FILE}`);
    const held = folder === "" ? `a ${MANIFEST_FILE}` : `${folder}${MANIFEST_FILE}`;
    if (manifest.version !== version) {
      throw new UserError(`${this.id}: tag ${tag} holds ${held} with version ${manifest.version}, not ${version}`, {
        hint: `set version: ${version} in ${folder}${MANIFEST_FILE} and move the tag, or tag that commit ${named ? `${template}@` : "v"}${manifest.version}`,
      });
    }
    if (named && manifest.name !== template) {
      throw new UserError(`${this.id}: tag ${tag} holds ${held} named "${manifest.name}", not "${template}"`, {
        hint: `set name: ${template} in ${folder}${MANIFEST_FILE} and move the tag; a template's folder and tags carry its name`,
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
    assertTemplateSymlinks(files, (relative) => `${where}:${folder}files/${relative}`);
    return { manifest, files, dir: undefined, label: where, source: this };
  }

  /** `github.com/org/repo.git`: the id without its scheme, for labels such as `github.com/org/repo.git@v1.0.0`. */
  private label(): string {
    return this.remote ? this.id.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "") : this.id;
  }

  /** Every git call of a source goes through the one git module; a failure names the source, or the damaged cache. */
  private async git(args: string[], input?: Uint8Array): Promise<Uint8Array> {
    const result = await tryGitBytes(this.gitDir, args, { env: GIT_ENV, ...(input ? { input } : {}) });
    if (result.exitCode !== 0) {
      const lines = result.stderr.trim().split("\n").filter(Boolean);
      const gitMessage = this.redact(lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[0] ?? "failed");
      const why = `git ${args[0]}: ${gitMessage}`;
      throw this.remote
        ? this.damaged(why, gitMessage)
        : new UserError(`${this.id}: ${why}`, {
            code: "git",
            fields: { gitMessage },
            hint: "check that it is a git repository and that `git fsck` finds it whole",
          });
    }
    return result.stdout;
  }

  /**
   * Reading the cache failed although it was fetched whole (a disk error, an interrupted clean-up, a hand
   * edit): say so, and how to start afresh, instead of blaming the template.
   */
  private damaged(why: string, gitMessage?: string): UserError {
    return new UserError(`the cached copy of ${this.id} in ${this.gitDir} is damaged (${why})`, {
      code: "git",
      ...(gitMessage ? { fields: { gitMessage } } : {}),
      hint: `delete ${this.gitDir} (or all of paved's cache, ${cacheRoot()}, which PAVED_CACHE sets) and run again; paved fetches a fresh copy`,
    });
  }

  /**
   * A tag whose template.yaml cannot be read: missing from the tree (the author's mistake: a `v1.0.0` tag on a
   * repository of several templates, or a named tag without its folder), or a damaged repository.
   */
  private async missingManifest(tag: string, folders: readonly string[], readError?: unknown): Promise<UserError> {
    const wanted = folders.map((f) => `${f}${MANIFEST_FILE}`);
    const listed = await this.gitText(["ls-tree", "--full-tree", `refs/tags/${tag}`, "--", ...wanted]).catch((error: unknown) => error);
    if (listed instanceof UserError) return listed;
    if (typeof listed === "string" && listed.trim() === "") {
      if (folders[0] !== "") {
        return new UserError(`${this.id}: tag ${tag} has no ${wanted.join(" or ")}`, {
          hint: "a named template's tag must point at a commit holding <name>/template.yaml or templates/<name>/template.yaml; move the tag",
        });
      }
      const several = await this.templatesAt(tag);
      return new UserError(`${this.id}: tag ${tag} has no ${MANIFEST_FILE} at the repository root`, {
        hint:
          several.length > 0
            ? `the repository holds several templates (${several.join(", ")}): tag each release <name>@<version> (e.g. ${several[0]}@1.0.0) and delete the tag ${tag}`
            : "a template repository holds template.yaml and files/ at its root; move the tag to such a commit",
      });
    }
    const why = readError instanceof UserError ? readError.message : `the object of ${tag}:${wanted[0]} is missing`;
    return this.remote
      ? this.damaged(why)
      : new UserError(`${this.id}: cannot read ${tag}:${wanted[0]} (${why})`, { hint: "run `git fsck` in the repository and repair it" });
  }

  /** The named templates a tagged tree holds (`<name>/template.yaml`, `templates/<name>/template.yaml`), for hints. */
  private async templatesAt(tag: string): Promise<string[]> {
    const raw = await this.gitText(["ls-tree", "-r", "-z", "--name-only", "--full-tree", `refs/tags/${tag}`]).catch(() => "");
    const names = raw
      .split("\0")
      .map((p) => /^(?:templates\/)?([^/]+)\/template\.yaml$/.exec(p)?.[1])
      .filter((n): n is string => n !== undefined && TEMPLATE_NAME.test(n));
    return [...new Set(names)].sort();
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

  private async listTree(tag: string, paths: readonly string[]): Promise<TreeEntry[]> {
    const raw = await this.gitText(["ls-tree", "-r", "-z", "--full-tree", `refs/tags/${tag}`, "--", ...paths]);
    const entries: TreeEntry[] = [];
    for (const record of raw.split("\0")) {
      if (!record) continue;
      const tab = record.indexOf("\t");
      // "<mode> <type> <object>\t<path>"
      const [mode, type, object] = record.slice(0, tab).split(" ");
      if (mode === undefined || type === undefined || object === undefined) {
        throw new Error(`git ls-tree: unexpected line ${JSON.stringify(record)}`);
      }
      entries.push({ mode, type, object, path: record.slice(tab + 1) });
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
      if (oid === undefined || type === "missing" || size === undefined) continue;
      const length = Number(size);
      if (type === "blob") out.set(oid, new Uint8Array(raw.subarray(offset, offset + length)));
      offset += length + 1;
    }
    return out;
  }

  private async readIndex(): Promise<TagIndex> {
    if (this.index) return this.index;
    const raw = await this.gitText(["for-each-ref", "--format=%(refname:strip=2)", "refs/tags"]);
    const root = new Map<string, string>();
    const named = new Map<string, Map<string, string>>();
    const ranks = new Map<string, number>();
    for (const tag of raw
      .split("\n")
      .map((t) => t.trim())
      .filter(Boolean)) {
      const parsed = parseTemplateTag(tag);
      if (!parsed) continue;
      let versions = root;
      if (parsed.name !== undefined) {
        versions = named.get(parsed.name) ?? new Map<string, string>();
        named.set(parsed.name, versions);
      }
      const key = `${parsed.name ?? ""}@${parsed.version}`;
      if (versions.has(parsed.version) && (ranks.get(key) ?? 0) <= parsed.rank) continue;
      versions.set(parsed.version, tag);
      ranks.set(key, parsed.rank);
    }
    this.index = { root, named };
    return this.index;
  }

  /** The name of the template at the repository's root, from its newest release's manifest; undefined without root tags. */
  private rootName(): Promise<string | undefined> {
    this.rootNamePromise ??= (async () => {
      const all = [...(await this.readIndex()).root.keys()];
      const newest = latestVersion(all, { prerelease: this.options.prerelease }) ?? latestVersion(all, { prerelease: true });
      if (!newest) return undefined;
      const tag = defined((await this.readIndex()).root.get(newest), "the newest root version's tag");
      const text = await this.gitText(["cat-file", "blob", `refs/tags/${tag}:${MANIFEST_FILE}`]).catch(async (error: unknown) => {
        throw await this.missingManifest(tag, [""], error);
      });
      return parseManifestText(text, `${this.label()}@${tag}:${MANIFEST_FILE}`).name;
    })();
    const pending = this.rootNamePromise;
    // A failed read is not remembered: the next caller gets the error afresh.
    pending.catch(() => {
      if (this.rootNamePromise === pending) this.rootNamePromise = undefined;
    });
    return pending;
  }

  /** A remote source is cloned into the cache the first time it is used. */
  private prepare(): Promise<void> {
    this.ready ??= (async () => {
      if (!this.remote) {
        if (!existsSync(this.gitDir))
          throw new UserError(`${this.id}: no such git repository`, { hint: "pass --source a git URL or repository path" });
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
        await this.cacheGit(path.dirname(this.gitDir), ["init", "--quiet", "--bare", temporary]);
        await this.cacheGit(temporary, ["config", "remote.origin.url", this.id]);
        await this.cacheGit(temporary, ["config", "remote.origin.fetch", "+refs/tags/*:refs/tags/*"]);
      } catch (error) {
        const detail = error instanceof UserError ? (error.fields.gitMessage ?? error.message) : (error as Error).message;
        throw new UserError(`cannot create the git cache in ${path.dirname(this.gitDir)}: ${this.redact(detail.split("\n")[0] ?? "")}`, {
          code: "git-cache",
          hint: "make that directory writable, or set PAVED_CACHE to a writable directory",
        });
      }
      await this.runFetch(temporary);
      await this.writeStamp(temporary);
      if (existsSync(this.gitDir) && !existsSync(path.join(this.gitDir, STAMP_FILE)))
        await rm(this.gitDir, { recursive: true, force: true });
      await rename(temporary, this.gitDir).catch(async (error: NodeJS.ErrnoException) => {
        if (!existsSync(path.join(this.gitDir, STAMP_FILE))) throw error;
      });
      this.fetched = true;
    } catch (error) {
      if (error instanceof UserError && error.code === "git-cache") throw error;
      if (error instanceof UserError) {
        throw new UserError(`cannot clone the template source ${this.id}: ${error.message}`, {
          code: "git",
          fields: error.fields,
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
    await tryGitBytes(gitDir, ["config", "remote.origin.url", this.id], { env: GIT_ENV });
    const result = await tryGitBytes(gitDir, ["fetch", "--quiet", "--prune", "--force", "--no-write-fetch-head", "origin"], {
      env: this.fetchEnv(),
      timeoutMs: FETCH_TIMEOUT_MS,
    });
    if (result.timedOut || result.exitCode !== 0) {
      const why = result.timedOut
        ? `no answer within ${FETCH_TIMEOUT_MS / 1000} s`
        : (result.stderr.trim().split("\n").find(Boolean) ?? "git fetch failed");
      throw new UserError(this.redact(why), { code: "git", fields: { gitMessage: this.redact(why) } });
    }
  }

  /** A git command that sets up the cache; its failure is the cache's (a directory that cannot be written). */
  private async cacheGit(cwd: string, args: string[]): Promise<void> {
    const result = await tryGitBytes(cwd, args, { env: GIT_ENV });
    if (result.exitCode !== 0) {
      const gitMessage = this.redact(result.stderr.trim().split("\n").find(Boolean) ?? `git ${args[0]} failed`);
      throw new UserError(gitMessage, { code: "git", fields: { gitMessage } });
    }
  }

  /** The stamp's mtime is when the cache was last fetched. */
  private async writeStamp(gitDir: string): Promise<void> {
    await writeFile(path.join(gitDir, STAMP_FILE), JSON.stringify({ url: this.id, fetchedAt: new Date().toISOString() }) + "\n");
  }

  private async stampAgeMs(): Promise<number> {
    const mtime = await stat(path.join(this.gitDir, STAMP_FILE)).then(
      (s) => s.mtimeMs,
      () => 0,
    );
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
      this.index = undefined;
      this.rootNamePromise = undefined;
    } catch (error) {
      const why = error instanceof UserError ? error.message : String(error);
      const minutes = Math.round((await this.stampAgeMs()) / 60_000);
      const age =
        minutes < 1
          ? "less than a minute"
          : minutes < 120
            ? `${minutes} minute${minutes === 1 ? "" : "s"}`
            : `${Math.round(minutes / 60)} hours`;
      this.warn(
        `could not fetch ${this.id} (${why}); using the cached copy from ${age} ago` +
          (forFreshness ? "" : ", which may lack the version asked for"),
      );
    }
  }
}
