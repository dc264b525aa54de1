import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import semver from "semver";
import { UserError } from "../errors.js";
import { symlinkStaysInside } from "../fs/paths.js";
import { readTree } from "../fs/read-tree.js";
import type { FileTree } from "../tree.js";
import { parseWith } from "../validation.js";
import { parseConfigText } from "../yaml-file.js";
import { manifestSchema, type Manifest } from "./manifest.js";

/** One immutable version of a template: its manifest and the tree under files/. */
export interface TemplateVersion {
  manifest: Manifest;
  files: FileTree;
  /** The version's directory (holds template.yaml and files/). */
  dir: string;
  source: TemplateSource;
}

export interface TemplateSource {
  /** What `.paved.yml` records: "builtin", a directory path, or a git URL. */
  readonly id: string;
  /** Built-in templates are trusted to run hooks; everything else needs --trust. */
  readonly trusted: boolean;
  listTemplates(): Promise<string[]>;
  /** Versions, oldest first. */
  listVersions(template: string): Promise<string[]>;
  loadVersion(template: string, version: string): Promise<TemplateVersion>;
}

export const BUILTIN_SOURCE_ID = "builtin";

export function builtinTemplatesDir(): string {
  // Same relative position from src/templates and dist/templates.
  return fileURLToPath(new URL("../../templates", import.meta.url));
}

export const MANIFEST_FILE = "template.yaml";

/**
 * A directory laid out as `<root>/<name>/<version>/{template.yaml,files/}`: the built-in templates and local sources.
 */
export class DirectorySource implements TemplateSource {
  private readonly versionCache = new Map<string, Promise<TemplateVersion>>();
  constructor(
    readonly root: string,
    readonly id: string,
    readonly trusted: boolean,
  ) {}

  async listTemplates(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => {
      throw new UserError(`template source ${this.id}: cannot read ${this.root}`, { hint: "pass --source a directory laid out as <name>/<version>/template.yaml" });
    });
    const names: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith(".")) names.push(entry.name);
    }
    return names.sort();
  }

  async listVersions(template: string): Promise<string[]> {
    const dir = path.join(this.root, template);
    if (!/^[a-z0-9][a-z0-9-]*$/.test(template) || !existsSync(dir)) {
      const known = await this.listTemplates();
      throw new UserError(`unknown template "${template}" in ${this.describe()}`, {
        hint: known.length ? `use one of: ${known.join(", ")} (see \`paved templates list\`)` : "this source has no templates",
      });
    }
    const entries = await readdir(dir, { withFileTypes: true });
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
    const text = await readFile(manifestPath, "utf8").catch(() => {
      throw new UserError(`${template} ${version}: no ${MANIFEST_FILE} in ${displayPath(dir)}`, {
        hint: `run \`paved templates show ${template}\` to see its versions`,
      });
    });
    const fix = `fix ${shown} (the template's author must); see docs/authoring.md for the manifest reference`;
    const manifest = parseWith(manifestSchema, parseConfigText(text, shown, fix), { file: shown, fix });
    if (manifest.name !== template) {
      throw new UserError(`${shown}: name is "${manifest.name}" but the folder is "${template}"`, { hint: fix });
    }
    if (manifest.version !== version) {
      throw new UserError(`${shown}: version is "${manifest.version}" but the folder is "${version}"`, { hint: fix });
    }
    const filesDir = path.join(dir, "files");
    const hasFiles = await stat(filesDir).then((s) => s.isDirectory(), () => false);
    const files = hasFiles
      ? await readTree(filesDir, {
          onSymlink: (relative, target) => {
            if (!symlinkStaysInside(relative, target)) {
              throw new UserError(`${displayPath(path.join(filesDir, relative))}: symlink to ${JSON.stringify(target)} leaves the template`, {
                hint: "template symlinks must point inside files/",
              });
            }
          },
        })
      : new Map();
    return { manifest, files, dir, source: this };
  }
}

export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
}

/** The source named by --source / PAVED_SOURCE, or the built-in templates. */
export async function openSource(spec: string | undefined): Promise<TemplateSource> {
  if (!spec || spec === BUILTIN_SOURCE_ID) return new DirectorySource(builtinTemplatesDir(), BUILTIN_SOURCE_ID, true);
  const resolved = path.resolve(spec);
  const isDir = await stat(resolved).then((s) => s.isDirectory(), () => false);
  if (!isDir) {
    throw new UserError(`--source ${spec}: no such directory`, { hint: "pass a directory laid out as <name>/<version>/template.yaml" });
  }
  return new DirectorySource(resolved, resolved, false);
}

/** The version asked for, or the newest release (pre-releases only when asked for by name). */
export async function resolveVersion(source: TemplateSource, template: string, requested: string | undefined): Promise<string> {
  const versions = await source.listVersions(template);
  if (versions.length === 0) {
    throw new UserError(`template "${template}" has no versions`, { hint: "a version is a folder named like 1.0.0 holding template.yaml" });
  }
  if (requested) {
    const wanted = semver.valid(semver.coerce(requested) && requested.replace(/^v/, ""));
    const match = versions.find((v) => v === wanted);
    if (!match) {
      throw new UserError(`template "${template}" has no version ${requested}`, { hint: `use one of: ${versions.join(", ")}` });
    }
    return match;
  }
  const releases = versions.filter((v) => semver.prerelease(v) === null);
  const latest = releases[releases.length - 1];
  if (!latest) {
    throw new UserError(`template "${template}" has only pre-release versions`, { hint: `pass --version, e.g. --version ${versions[versions.length - 1]}` });
  }
  return latest;
}
