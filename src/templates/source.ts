// Synchronous reads: a template's few files and folders, and node:fs/promises (with the streams and readline it
// loads) would be a noticeable part of every start-up.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import semver from "semver";
import { UserError } from "../errors.js";
import { describeSymlinkProblem, isDirectory, symlinkProblem } from "../fs/paths.js";
import { readTree } from "../fs/read-tree.js";
import { safeMessage } from "../output.js";
import type { FileTree } from "../tree.js";
import { parseWith } from "../validation.js";
import { parseConfigText } from "../yaml-file.js";
import { latestVersion } from "./latest.js";
import { manifestSchema, TEMPLATE_NAME, type Manifest } from "./manifest.js";

/** One immutable version of a template: its manifest and the tree under files/. */
export interface TemplateVersion {
  manifest: Manifest;
  files: FileTree;
  /**
   * The directory the version was read from (holds template.yaml and files/), for a local source; undefined
   * when it was read from git objects at a tag, which are on no disk.
   */
  dir: string | undefined;
  /**
   * Names the version in messages and identifies it: the directory for a local source, the repository and tag
   * for a git source (`github.com/org/templates@v1.0.0`, `github.com/org/templates@api@1.0.0`).
   */
  label: string;
  source: TemplateSource;
}

/**
 * A file of a version as messages name it: `templates/api/1.0.0/files/README.md` (relative to the working
 * directory when inside it) or `github.com/org/templates@api@1.0.0:files/README.md`.
 */
export function versionFile(version: Pick<TemplateVersion, "dir" | "label">, relative: string): string {
  return version.dir === undefined ? `${version.label}:${relative}` : displayPath(path.join(version.dir, relative));
}

export interface TemplateSource {
  /** Where the templates come from: "builtin", an absolute directory path, or a git URL without credentials. */
  readonly id: string;
  /** Built-in templates are trusted to run hooks; everything else needs --trust. */
  readonly trusted: boolean;
  readonly kind: "builtin" | "directory" | "git";
  listTemplates(): Promise<string[]>;
  /**
   * Versions, oldest first; pre-releases only when the source was opened with `prerelease`.
   * `want` names the version the caller is after, so a git source fetches only if it lacks it.
   */
  listVersions(template: string, options?: ListVersionsOptions): Promise<string[]>;
  /** Every version including hidden pre-releases (for hints). */
  listAllVersions(template: string): Promise<string[]>;
  /** Loads any version, hidden pre-releases included (a service may record one). */
  loadVersion(template: string, version: string): Promise<TemplateVersion>;
}

export interface ListVersionsOptions {
  want?: string;
}

export interface SourceOptions {
  /** Offer pre-release versions (`--prerelease`). */
  prerelease?: boolean;
  /** Where a source says it went offline or stripped credentials; stderr by default. */
  warn?: (message: string) => void;
}

export function defaultWarn(message: string): void {
  process.stderr.write(`warning: ${safeMessage(message)}\n`);
}

/** Release versions, plus pre-releases when asked for. */
export function visibleVersions(all: readonly string[], prerelease: boolean): string[] {
  return prerelease ? [...all] : all.filter((v) => semver.prerelease(v) === null);
}

export const BUILTIN_SOURCE_ID = "builtin";

export function builtinTemplatesDir(): string {
  // Same relative position from src/templates and dist/templates.
  return fileURLToPath(new URL("../../templates", import.meta.url));
}

export const MANIFEST_FILE = "template.yaml";

/**
 * Built-in versions ship with paved and never change: one load per process, shared by every source object,
 * so a process that checks many services (`paved fleet`) reads and compiles each version once.
 */
const builtinVersions = new Map<string, Promise<TemplateVersion>>();

/**
 * A directory laid out as `<root>/<name>/<version>/{template.yaml,files/}`: the built-in templates and local sources.
 */
export class DirectorySource implements TemplateSource {
  private readonly versionCache: Map<string, Promise<TemplateVersion>>;
  readonly kind: "builtin" | "directory";
  constructor(
    readonly root: string,
    readonly id: string,
    readonly trusted: boolean,
    private readonly options: SourceOptions = {},
  ) {
    this.kind = id === BUILTIN_SOURCE_ID ? "builtin" : "directory";
    this.versionCache = this.kind === "builtin" && root === builtinTemplatesDir() ? builtinVersions : new Map();
  }

  async listTemplates(): Promise<string[]> {
    const entries = tryRead(
      () => readdirSync(this.root, { withFileTypes: true }),
      () => {
        throw new UserError(`template source ${this.id}: cannot read ${this.root}`, {
          hint: "pass --source a directory laid out as <name>/<version>/template.yaml",
        });
      },
    );
    const names: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith(".")) names.push(entry.name);
    }
    return names.sort();
  }

  async listVersions(template: string): Promise<string[]> {
    return visibleVersions(await this.listAllVersions(template), this.options.prerelease ?? false);
  }

  async listAllVersions(template: string): Promise<string[]> {
    const dir = path.join(this.root, template);
    if (!TEMPLATE_NAME.test(template) || !existsSync(dir)) {
      const known = await this.listTemplates();
      throw new UserError(`unknown template "${template}" in ${this.describe()}`, {
        hint: known.length ? `use one of: ${known.join(", ")} (see \`paved templates list\`)` : "this source has no templates",
      });
    }
    const entries = readdirSync(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && semver.valid(e.name) !== null)
      .map((e) => e.name)
      .sort(semver.compare);
  }

  loadVersion(template: string, version: string): Promise<TemplateVersion> {
    const key = `${template}@${version}`;
    let loaded = this.versionCache.get(key);
    if (!loaded) {
      loaded = this.readVersion(template, version);
      this.versionCache.set(key, loaded);
      // A failed load is not remembered: the next caller gets the error afresh (and its own message).
      loaded.catch(() => this.versionCache.delete(key));
    }
    return loaded;
  }

  describe(): string {
    return this.id === BUILTIN_SOURCE_ID ? "the built-in templates" : this.id;
  }

  private async readVersion(template: string, version: string): Promise<TemplateVersion> {
    const dir = path.join(this.root, template, version);
    const manifestPath = path.join(dir, MANIFEST_FILE);
    const shown = displayPath(manifestPath);
    const text = tryRead(
      () => readFileSync(manifestPath, "utf8"),
      () => {
        throw new UserError(`${template} ${version}: no ${MANIFEST_FILE} in ${displayPath(dir)}`, {
          hint: `run \`paved templates show ${template}\` to see its versions`,
        });
      },
    );
    const fix = manifestFix(shown);
    const manifest = parseManifestText(text, shown);
    if (manifest.name !== template) {
      throw new UserError(`name is "${manifest.name}" but the folder is "${template}"`, { hint: fix, fields: { file: shown } });
    }
    if (manifest.version !== version) {
      throw new UserError(`version is "${manifest.version}" but the folder is "${version}"`, { hint: fix, fields: { file: shown } });
    }
    const filesDir = path.join(dir, "files");
    const hasFiles = isDirectory(filesDir);
    const files = hasFiles ? await readTree(filesDir) : new Map();
    assertTemplateSymlinks(files, (relative) => displayPath(path.join(filesDir, relative)));
    return { manifest, files, dir, label: dir, source: this };
  }
}

/**
 * Refuse a template whose symlinks, resolved against the template's own tree hop by hop, leave it, pass through
 * `.git` in any spelling, or chain too long. `shown` names a file under files/ in the message.
 */
export function assertTemplateSymlinks(files: FileTree, shown: (relative: string) => string): void {
  for (const [relative, entry] of files) {
    if (entry.symlink === undefined) continue;
    const problem = symlinkProblem(files, relative);
    if (problem) {
      throw new UserError(`symlink to ${JSON.stringify(entry.symlink)} ${describeSymlinkProblem(problem, "template")}`, {
        code: "unsafe-path",
        fields: { file: shown(relative) },
        hint: "template symlinks must point inside files/ and never into .git",
      });
    }
  }
}

export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
}

export function manifestFix(shown: string): string {
  return `fix ${shown} (the template's author must); see docs/authoring.md for the manifest reference`;
}

/** Parse and validate a template.yaml's text; `shown` names it in errors. */
export function parseManifestText(text: string, shown: string): Manifest {
  const fix = manifestFix(shown);
  return parseWith(manifestSchema, parseConfigText(text, shown, fix), { file: shown, fix });
}

export function builtinSource(options: SourceOptions = {}): DirectorySource {
  return new DirectorySource(builtinTemplatesDir(), BUILTIN_SOURCE_ID, true, options);
}

/** A git repository: `.git` inside (a work tree) or HEAD, objects/ and refs/ (bare). */
export function isGitRepository(dir: string): boolean {
  return (
    existsSync(path.join(dir, ".git")) ||
    (existsSync(path.join(dir, "HEAD")) && existsSync(path.join(dir, "objects")) && existsSync(path.join(dir, "refs")))
  );
}

/**
 * Open a template source: "builtin" (or nothing), a git URL (`https://`, `ssh://`, `git@host:`, `file://`),
 * a local git repository of templates (template.yaml at its root, or `<name>/template.yaml` or
 * `templates/<name>/template.yaml`; its release tags are the versions), or a directory laid out as
 * `<name>/<version>/template.yaml`.
 */
export async function openSource(spec: string | undefined, options: SourceOptions = {}): Promise<TemplateSource> {
  if (!spec || spec === BUILTIN_SOURCE_ID) return builtinSource(options);
  const { looksLikeUrl } = await import("../config.js");
  // git-source is loaded only for git sources: a directory source starts faster without it.
  if (looksLikeUrl(spec)) {
    const { GitSource } = await import("./git-source.js");
    return GitSource.fromUrl(spec, options);
  }
  const resolved = path.resolve(spec);
  const isDir = isDirectory(resolved);
  if (!isDir) {
    throw new UserError("no such directory", {
      hint: "pass a git URL, a git repository of templates, or a directory laid out as <name>/<version>/template.yaml",
      fields: { flag: "--source", value: spec },
    });
  }
  const singleTemplate = existsSync(path.join(resolved, MANIFEST_FILE));
  if (isGitRepository(resolved) && (singleTemplate || !existsSync(path.join(resolved, ".git")) || (await holdsNamedTemplates(resolved)))) {
    const { GitSource } = await import("./git-source.js");
    return GitSource.fromLocalRepository(resolved, options);
  }
  if (singleTemplate) {
    const named = await openNamedTemplateFolder(resolved);
    throw new UserError("holds one template but is not the root of a git repository, so it has no versions (its tags would be)", {
      fields: { flag: "--source", value: spec },
      hint: named
        ? `it is the template "${named.template}" of the repository ${named.source.id}: pass --source ${named.source.id} and the template's name`
        : "run `git init`, commit and tag it (git tag v1.0.0), or lay it out as <name>/<version>/template.yaml",
    });
  }
  return new DirectorySource(resolved, resolved, false, options);
}

/**
 * Whether a work tree holds templates read from tags (`<name>/template.yaml` or `templates/<name>/template.yaml`)
 * rather than a directory of versions (`<name>/<version>/template.yaml`, read as files).
 */
async function holdsNamedTemplates(dir: string): Promise<boolean> {
  for (const parent of [dir, path.join(dir, "templates")]) {
    const entries = tryRead(
      () => readdirSync(parent, { withFileTypes: true }),
      () => [],
    );
    if (entries.some((e) => e.isDirectory() && TEMPLATE_NAME.test(e.name) && existsSync(path.join(parent, e.name, MANIFEST_FILE))))
      return true;
  }
  return false;
}

/**
 * A named template's folder in a git checkout (`<repo>/<name>/` or `<repo>/templates/<name>/` holding
 * template.yaml): its repository as a git source and the template's name, for the commands an author points
 * at one template (`paved template diff`, `impact`); undefined for any other directory.
 */
export async function openNamedTemplateFolder(
  dir: string,
  options: SourceOptions = {},
): Promise<{ source: TemplateSource; template: string } | undefined> {
  const resolved = path.resolve(dir);
  const name = path.basename(resolved);
  if (!TEMPLATE_NAME.test(name) || !existsSync(path.join(resolved, MANIFEST_FILE))) return undefined;
  const parent = path.dirname(resolved);
  const root = path.basename(parent) === "templates" && !isGitRepository(parent) ? path.dirname(parent) : parent;
  if (!existsSync(path.join(root, ".git"))) return undefined;
  const { GitSource } = await import("./git-source.js");
  return { source: GitSource.fromLocalRepository(root, options), template: name };
}

/** The layouts sources are read in: what the message says paved looked for when a source holds no template. */
export const DIRECTORY_LAYOUT = "<name>/<version>/template.yaml";
export const GIT_LAYOUTS =
  "template.yaml and files/ at the root tagged v<version>, or <name>/template.yaml or templates/<name>/template.yaml tagged <name>@<version> or <name>-v<version>";

/**
 * A source without a single template is a mistake (a wrong path or URL, tags not pushed), not an empty
 * answer: exit 2 naming the layouts looked for.
 */
export function noTemplateError(source: TemplateSource): UserError {
  return new UserError(`${describeSource(source)} holds no template`, {
    hint:
      source.kind === "git"
        ? `paved reads a git source's release tags: ${GIT_LAYOUTS} (a folder of versions, ${DIRECTORY_LAYOUT}, is read from a checkout: pass its path); push the tags, or check the URL`
        : `paved reads a directory laid out as ${DIRECTORY_LAYOUT}, or a git repository with ${GIT_LAYOUTS}; check the path`,
  });
}

/** The version asked for, or the newest visible version (releases, plus pre-releases with --prerelease). */
export async function resolveVersion(source: TemplateSource, template: string, requested: string | undefined): Promise<string> {
  const wanted = requested === undefined ? undefined : (semver.valid(requested.replace(/^v/, "")) ?? requested);
  const versions = await source.listVersions(template, wanted === undefined ? {} : { want: wanted });
  if (wanted !== undefined) {
    if (versions.includes(wanted)) return wanted;
    const all = await source.listAllVersions(template);
    if (all.includes(wanted)) {
      throw new UserError(`template "${template}" version ${wanted} is a pre-release`, { hint: `pass --prerelease to use it` });
    }
    throw new UserError(`template "${template}" has no version ${requested} in ${describeSource(source)}`, {
      hint: versions.length ? `use one of: ${versions.join(", ")}` : "it has no released versions yet",
    });
  }
  // listVersions already left pre-releases out unless the source was opened with --prerelease.
  const latest = latestVersion(versions, { prerelease: true });
  if (!latest) {
    const all = await source.listAllVersions(template);
    if (all.length > 0) {
      throw new UserError(`template "${template}" has only pre-release versions`, {
        hint: `pass --prerelease, or --version ${all[all.length - 1]} with --prerelease`,
      });
    }
    throw new UserError(`template "${template}" has no versions`, {
      hint:
        source.kind === "git"
          ? "a version is a semver tag such as v1.0.0 on the template's repository"
          : "a version is a folder named like 1.0.0 holding template.yaml",
    });
  }
  return latest;
}

export function describeSource(source: TemplateSource): string {
  return source.kind === "builtin" ? "the built-in templates" : source.id;
}

/** How many `../` a recorded local path may climb before an absolute path is clearer. */
const MAX_RELATIVE_CLIMB = 3;

/**
 * What `.paved.yml` records for a source: "builtin", the git URL without credentials, or a local path
 * (relative to the service directory when the two are close, so a checkout elsewhere still finds it).
 */
export function recordSource(source: TemplateSource, serviceDir: string): string {
  if (source.kind === "builtin") return BUILTIN_SOURCE_ID;
  if (!path.isAbsolute(source.id)) return source.id;
  const relative = path.relative(path.resolve(serviceDir), source.id) || ".";
  const climbs = relative.split(path.sep).filter((s) => s === "..").length;
  if (path.isAbsolute(relative) || climbs > MAX_RELATIVE_CLIMB) return source.id.split(path.sep).join("/");
  return relative.split(path.sep).join("/");
}

/** Whether the spec the user gave carried credentials that `recordSource` leaves out. */
export function sourceHadCredentials(source: TemplateSource): boolean {
  return "credentialsStripped" in source && (source as { credentialsStripped: boolean }).credentialsStripped;
}

/**
 * Open the source a service's `.paved.yml` records (for upgrade, diff and doctor): a relative path is
 * resolved against the service directory; a git URL reuses credentials from PAVED_SOURCE or a config
 * file when they name the same repository (they are never written to `.paved.yml`).
 */
export async function openRecordedSource(serviceDir: string, recorded: string, options: SourceOptions = {}): Promise<TemplateSource> {
  if (recorded === BUILTIN_SOURCE_ID) return builtinSource(options);
  const { defaultSource, looksLikeUrl } = await import("../config.js");
  if (looksLikeUrl(recorded)) {
    const { GitSource, normalizeGitUrl } = await import("./git-source.js");
    const configured = safeDefaultSource(defaultSource);
    const spec =
      configured && looksLikeUrl(configured) && normalizeGitUrl(configured) === normalizeGitUrl(recorded) ? configured : recorded;
    return GitSource.fromUrl(spec, options);
  }
  const resolved = path.resolve(serviceDir, recorded);
  if (!existsSync(resolved)) {
    throw new UserError(`source ${recorded} (${resolved}) does not exist`, {
      fields: { file: ".paved.yml" },
      hint: "check out the template source there, or pass --source to say where it is now",
    });
  }
  return openSource(resolved, options);
}

function safeDefaultSource(read: () => { spec: string } | undefined): string | undefined {
  try {
    return read()?.spec;
  } catch {
    return undefined;
  }
}

/** `read()`, or what `otherwise()` returns (or throws) when it fails. */
function tryRead<T, U>(read: () => T, otherwise: () => U): T | U {
  try {
    return read();
  } catch {
    return otherwise();
  }
}
