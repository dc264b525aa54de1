/**
 * What a template release does, seen before it ships: a version rendered with given answers (preview), and
 * the change a service that never edited its files receives when it upgrades between two versions (diff).
 * The diff is `paved upgrade --dry-run`'s own computation (src/upgrade/steps.ts computeUpgrade over the same
 * answer chain) with "ours" equal to the from-version's render, so it is what teams will see.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { recordableAnswers, resolveAnswers, type Answers, type ProvidedAnswer, type RenderMeta } from "../answers/answers.js";
import { UserError } from "../errors.js";
import { renderTemplate } from "../render/render.js";
import { latestRelease } from "../templates/latest.js";
import {
  DirectorySource,
  displayPath,
  MANIFEST_FILE,
  openNamedTemplateFolder,
  openSource,
  type TemplateSource,
  versionFile,
} from "../templates/source.js";
import { byteString, displayTexts, entriesEqual, isBinary, type FileEntry, type FileTree } from "../tree.js";
import { unifiedHunks } from "../diff/unified-diff.js";
import { parseTemplateManifest, readTemplateDir, asTemplateVersion } from "./template-dir.js";
import { cliRenderMeta } from "../config.js";

/** The target folder name a simulated service has: the `name` answer when given, else this. */
export const PREVIEW_DIR_NAME = "example-service";

export interface Preview {
  name: string;
  version: string;
  answers: Answers;
  tree: FileTree;
  managed: Set<string>;
}

/** Render the template directory an author works on with the given answers (defaults for the rest, no prompt). */
export async function previewTemplate(dir: string, provided: ReadonlyMap<string, ProvidedAnswer>): Promise<Preview> {
  const template = await readTemplateDir(dir);
  const manifest = parseTemplateManifest(template);
  const meta: RenderMeta = { template: manifest.name, version: manifest.version, dirName: dirNameOf(provided), ...cliRenderMeta() };
  const { answers, unknown } = await resolveAnswers({
    questions: manifest.questions,
    provided,
    meta,
    manifestFile: displayPath(template.manifestPath),
  });
  const rendered = renderTemplate(asTemplateVersion(template, manifest), answers, meta, unknown);
  return { name: manifest.name, version: manifest.version, answers, tree: rendered.tree, managed: rendered.managed };
}

function dirNameOf(provided: ReadonlyMap<string, ProvidedAnswer>): string {
  const name = provided.get("name")?.value;
  return typeof name === "string" && name !== "" ? name : PREVIEW_DIR_NAME;
}

export interface FileChange {
  path: string;
  /** What upgrade does to it (create, update, delete, ...), from its plan. */
  action: string;
  reason: string;
  managed: boolean;
  binary: boolean;
  /** A unified diff (git's format) of the file before and after; empty for a binary file. */
  patch: string;
}

export interface ReleaseDiff {
  template: string;
  from: string;
  to: string;
  /** The versions the upgrade steps through after `from`. */
  steps: string[];
  files: FileChange[];
  conflicts: string[];
  /** The tree before (the from-render) and after: the service as upgrade leaves it. */
  before: FileTree;
  after: FileTree;
}

/**
 * A directory of versions of one template (`<root>/<name>/` holding `<version>/template.yaml`), a source
 * (`<root>/` holding one template), a git repository with template.yaml at its root whose tags are versions, or
 * one template's folder in a git repository of several (`<repo>/<name>/`, `<repo>/templates/<name>/`; its tags).
 */
export async function openTemplateVersions(dir: string): Promise<{ source: TemplateSource; template: string }> {
  const resolved = path.resolve(dir);
  if (!existsSync(resolved))
    throw new UserError("no such directory", {
      fields: { file: dir },
      hint: "pass a template's folder of versions (e.g. templates/service) or a template repository",
    });
  const children = readdirSync(resolved, { withFileTypes: true }).filter((e) => e.isDirectory());
  if (children.some((e) => semver.valid(e.name) === e.name && existsSync(path.join(resolved, e.name, MANIFEST_FILE)))) {
    return { source: new DirectorySource(path.dirname(resolved), path.dirname(resolved), false), template: path.basename(resolved) };
  }
  const named = await openNamedTemplateFolder(dir);
  if (named) return named;
  const source = await openSource(dir);
  const templates = await source.listTemplates();
  const [template, ...others] = templates;
  if (template === undefined || others.length > 0) {
    throw new UserError(`holds ${templates.length === 0 ? "no template" : `several templates (${templates.join(", ")})`}`, {
      fields: { file: dir },
      hint: `pass one template's folder of versions${template ? `, e.g. ${path.join(dir, template)}` : ""}`,
    });
  }
  return { source, template };
}

export interface ReleaseDiffInput {
  dir: string;
  from: string;
  /** Default: the newest release. */
  to?: string;
  provided: ReadonlyMap<string, ProvidedAnswer>;
}

export async function templateReleaseDiff(input: ReleaseDiffInput): Promise<ReleaseDiff> {
  // Loaded here: the upgrade command module is large and only this needs it.
  const { resolvePath, targetOf } = await import("../upgrade/chain.js");
  const { computeUpgrade } = await import("../upgrade/steps.js");
  const { source, template } = await openTemplateVersions(input.dir);
  const all = await source.listAllVersions(template);
  for (const [flag, v] of [
    ["--from", input.from],
    ["--to", input.to],
  ] as const) {
    if (v !== undefined && !all.includes(v))
      throw new UserError(`${template} has no such version`, { hint: `versions: ${all.join(", ")}`, fields: { flag, value: v } });
  }
  const to = input.to ?? latestRelease(all) ?? input.from;
  if (semver.lt(to, input.from))
    throw new UserError(`--to ${to} is older than --from ${input.from}`, {
      hint: "a release diff goes from an older version to a newer one",
    });
  const dirName = dirNameOf(input.provided);

  // The service as `paved new` made it at --from with these answers, never edited since.
  const fromVersion = await source.loadVersion(template, input.from);
  const meta: RenderMeta = { template, version: input.from, dirName, ...cliRenderMeta() };
  const created = await resolveAnswers({
    questions: fromVersion.manifest.questions,
    provided: input.provided,
    meta,
    manifestFile: versionFile(fromVersion, MANIFEST_FILE),
  });
  const before = renderTemplate(fromVersion, created.answers, meta, created.unknown).tree;
  const service = {
    template,
    source: source.id,
    version: input.from,
    answers: recordableAnswers(fromVersion.manifest.questions, created.answers),
  };

  // Then upgraded exactly as `paved upgrade --to <to> --dry-run` plans it (the --set given apply to new questions too).
  const chain = await resolvePath(source, all, service, to, input.provided, dirName, undefined);
  const computed = await computeUpgrade({ template, dirName, ours: before, path: chain, throughConflicts: true });
  const last = targetOf(chain);
  const managed = renderTemplate(last.version, last.answers, { template, version: to, dirName, ...cliRenderMeta() }, last.unknown).managed;
  const actionOf = new Map<string, { action: string; reason: string }>();
  for (const step of computed.steps) for (const a of step.actions) actionOf.set(a.path, { action: a.action, reason: a.reason });
  const files: FileChange[] = [];
  for (const p of [...new Set([...before.keys(), ...computed.tree.keys()])].sort()) {
    const old = before.get(p);
    const next = computed.tree.get(p);
    if (entriesEqual(old, next)) continue;
    const planned = actionOf.get(p) ?? { action: next ? (old ? "update" : "create") : "delete", reason: "migration" };
    const binary = [old, next].some((e) => e !== undefined && e.symlink === undefined && isBinary(e.data));
    files.push({ path: p, ...planned, managed: managed.has(p), binary, patch: binary ? "" : patchOf(p, old, next) });
  }
  return {
    template,
    from: input.from,
    to,
    steps: computed.steps.map((s) => s.to),
    files,
    conflicts: computed.conflicts.map((c) => c.path),
    before,
    after: computed.tree,
  };
}

function textOf(entry: FileEntry | undefined): string {
  if (!entry) return "";
  return entry.symlink !== undefined ? byteString(Buffer.from(entry.symlink, "utf8")) : byteString(entry.data);
}

/** git's format: `--- a/x` / `+++ b/x` (or /dev/null) and the hunks; returned as text (UTF-8). */
function patchOf(p: string, old: FileEntry | undefined, next: FileEntry | undefined): string {
  const header = `--- ${old ? `a/${p}` : "/dev/null"}\n+++ ${next ? `b/${p}` : "/dev/null"}\n`;
  const hunks = unifiedHunks(textOf(old), textOf(next));
  const [text] = displayTexts(hunks);
  return header + text;
}
