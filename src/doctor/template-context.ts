import path from "node:path";
import { workTreeTopSync } from "../git/existing-repo.js";
import { placeRenderedFiles, repoRelativePath } from "../monorepo/placement.js";
import { recordedProvided, resolveAnswers, type Answers, type RenderMeta, type ResolvedAnswers } from "../answers/answers.js";
import { UserError } from "../errors.js";
import picomatch from "picomatch";
import { renderTemplate, type RenderResult } from "../render/render.js";
import { SERVICE_FILE, type ServiceFile } from "../service-file.js";
import type { Question } from "../templates/manifest.js";
import {
  describeSource,
  openRecordedSource,
  openSource,
  type TemplateSource,
  type TemplateVersion,
  versionFile,
} from "../templates/source.js";
import { entryText, isBinary, type FileTree } from "../tree.js";
import type { ProblemLocation, TemplateContext } from "./context.js";
import { cliRenderMeta } from "../config.js";
import { assertPavedVersionFor } from "../paved-version.js";

/**
 * `answers: true` when the recorded answers themselves were refused (doctor --fix must not go on); `at` is where
 * in the service's repository the refusal points, from the error's fields.
 */
export type LoadedTemplate =
  | { ok: true; template: TemplateContext }
  | { ok: false; message: string; fix?: string; answers?: true; at?: ProblemLocation };

/**
 * Where in the service's repository a UserError points: its file (shown relative to the working directory, or
 * absolute) made repository-relative when it is inside `dir`, with its line. A refused recorded answer points at
 * `.paved.yml` and names the answer. Undefined when the file is elsewhere (a template outside the repository).
 */
function locationIn(dir: string, error: UserError, recordedAnswers = false): ProblemLocation | undefined {
  const { file, line, variable } = error.fields;
  if (recordedAnswers && variable !== undefined) return { file: SERVICE_FILE, variable, ...(line === undefined ? {} : { line }) };
  if (file === undefined) return undefined;
  const relative = path.relative(dir, path.resolve(file));
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
  return { file: relative.split(path.sep).join("/"), ...(line === undefined ? {} : { line }) };
}

function located(dir: string, error: UserError, recordedAnswers = false): { at?: ProblemLocation } {
  const at = locationIn(dir, error, recordedAnswers);
  return at ? { at } : {};
}

/**
 * The answers a fresh render uses, resolved exactly as upgrade resolves its base: recorded answers checked
 * against the questions (a `.paved.yml` is repository data, not trusted input), defaults for questions added
 * since, and secrets (never recorded) unknown, so the files that read them are not rendered at all.
 */
export async function answersForRender(
  questions: readonly Question[],
  recorded: Answers,
  meta: RenderMeta,
  manifestFile = "template.yaml",
): Promise<ResolvedAnswers> {
  return resolveAnswers({ questions, provided: recordedProvided(questions, recorded), meta, manifestFile, fromRecord: true });
}

/**
 * Load and render the service's recorded template version from its recorded source (or --source);
 * a failure is data for paved/manifest, not a crash. Built-in templates never touch the network.
 */
export async function loadTemplateContext(service: ServiceFile, dir: string, sourceOverride: string | undefined): Promise<LoadedTemplate> {
  let source: TemplateSource | undefined;
  let versions: string[];
  // A bad --source is the user's input refused (exit 2); a recorded source that is gone is a finding.
  if (sourceOverride) source = await openSource(sourceOverride);
  try {
    source ??= await openRecordedSource(dir, service.source);
    await source.listVersions(service.template, { want: service.version });
    versions = await source.listAllVersions(service.template);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return {
      ok: false,
      message: `template "${service.template}" is not available: ${error.message}`,
      fix: error.hint ?? "pass --source <dir|git-url> where the template lives",
      ...located(dir, error),
    };
  }
  if (!versions.includes(service.version)) {
    return {
      ok: false,
      message: `template "${service.template}" has no version ${service.version} in ${describeSource(source)}`,
      fix: versions.length
        ? `versions are ${versions.join(", ")}; check \`version:\` in .paved.yml or pass --source`
        : "pass --source <dir|git-url> where the template lives",
    };
  }
  let version: TemplateVersion;
  let resolved: ResolvedAnswers;
  // A service in a subdirectory renders with its {{paved.path}}; the files it places at the repository root are
  // not looked for in its folder (service/ci-workflow checks them at the root).
  const top = workTreeTopSync(dir);
  const meta = {
    template: service.template,
    version: service.version,
    dirName: path.basename(dir),
    path: top === undefined ? "" : repoRelativePath(top, dir),
    ...cliRenderMeta(),
  };
  try {
    version = await source.loadVersion(service.template, service.version);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return {
      ok: false,
      message: `template ${service.template} ${service.version} cannot be loaded: ${error.message}`,
      fix: error.hint ?? "report this to the template's owners",
      ...located(dir, error),
    };
  }
  // An older paved would misread the version's checks: refused (exit 2), not reported as findings.
  assertPavedVersionFor(version.manifest);
  try {
    resolved = await answersForRender(version.manifest.questions, service.answers, meta, versionFile(version, "template.yaml"));
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { ok: false, message: error.message, ...(error.hint ? { fix: error.hint } : {}), answers: true, ...located(dir, error, true) };
  }
  try {
    const { answers, unknown } = resolved;
    return {
      ok: true,
      template: {
        source,
        versions,
        version,
        answers,
        unknown,
        servicePath: meta.path,
        ...renderForChecks(version, answers, meta, unknown),
      },
    };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return {
      ok: false,
      message: `template ${service.template} ${service.version} cannot be rendered: ${error.message}`,
      fix: error.hint ?? "report this to the template's owners",
      ...located(dir, error),
    };
  }
}

const EMPTY = new Uint8Array(0);

/** Source files whose rendered content a check reads on every run: the managed ones (drift). */
function neededUpFront(version: TemplateVersion): (sourcePath: string) => boolean {
  const managed = version.manifest.files.managed;
  return managed.length ? picomatch(managed, { dot: true }) : () => false;
}

/**
 * Render every path of the version but only the contents checks need (managed files): Handlebars compiles are the
 * slowest part of a doctor run, and most files are only checked for presence. Files left out render
 * as empty placeholders and are rendered for real (the whole version, once) when `entry()` asks for one.
 */
export function renderForChecks(
  version: TemplateVersion,
  answers: Answers,
  meta: RenderMeta,
  unknown: ReadonlySet<string> = new Set(),
): Pick<TemplateContext, "paths" | "managed" | "origins" | "entry" | "sourceText"> {
  const needed = neededUpFront(version);
  const skeleton: FileTree = new Map();
  for (const [p, entry] of version.files)
    skeleton.set(p, entry.symlink !== undefined || needed(p) ? entry : { data: EMPTY, mode: entry.mode });
  const layout = renderTemplate({ ...version, files: skeleton }, answers, meta, unknown);
  let full: RenderResult | undefined;
  const inFolder = placeRenderedFiles(layout.tree, version.manifest.rootFiles, meta.path ?? "").service;
  return {
    paths: [...inFolder.keys()].sort(),
    managed: new Set([...layout.managed].filter((p) => inFolder.has(p))),
    origins: layout.origins,
    entry(p) {
      const origin = layout.origins.get(p);
      if (origin === undefined) return undefined;
      if (skeleton.get(origin) === version.files.get(origin)) return layout.tree.get(p);
      full ??= renderTemplate(version, answers, meta, unknown);
      return full.tree.get(p);
    },
    sourceText(p) {
      const origin = layout.origins.get(p);
      const entry = origin === undefined ? undefined : version.files.get(origin);
      return entry && entry.symlink === undefined && !isBinary(entry.data) ? entryText(entry) : undefined;
    },
  };
}
