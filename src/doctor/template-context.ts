import path from "node:path";
import type { AnswerValue, Answers } from "../answers/answers.js";
import { defaultFor } from "../answers/answers.js";
import { UserError } from "../errors.js";
import picomatch from "picomatch";
import { renderTemplate, type RenderResult } from "../render/render.js";
import type { ServiceFile } from "../service-file.js";
import type { Question } from "../templates/manifest.js";
import { describeSource, openRecordedSource, openSource, type TemplateSource, type TemplateVersion } from "../templates/source.js";
import { entryText, isBinary, type FileTree } from "../tree.js";
import type { TemplateContext } from "./context.js";

export type LoadedTemplate = { ok: true; template: TemplateContext } | { ok: false; message: string; fix?: string };

function emptyAnswer(q: Question): AnswerValue {
  if (q.type === "confirm") return false;
  if (q.type === "multiselect") return [];
  if (q.type === "number") return null;
  return "";
}

/**
 * The answers a fresh render uses: the recorded ones; secrets (never recorded) render empty;
 * a question added without a recorded answer takes its default.
 */
export function answersForRender(questions: readonly Question[], recorded: Answers, meta: { template: string; version: string; dirName: string }): Answers {
  const answers: Answers = {};
  for (const q of questions) {
    if (q.secret) {
      answers[q.name] = emptyAnswer(q);
    } else if (Object.prototype.hasOwnProperty.call(recorded, q.name)) {
      answers[q.name] = recorded[q.name]!;
    } else {
      answers[q.name] = defaultFor(q, answers, meta, "template.yaml") ?? emptyAnswer(q);
    }
  }
  for (const [key, value] of Object.entries(recorded)) if (!(key in answers)) answers[key] = value;
  return answers;
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
    return { ok: false, message: `template "${service.template}" is not available: ${error.message}`, fix: error.hint ?? "pass --source <dir|git-url> where the template lives" };
  }
  if (!versions.includes(service.version)) {
    return {
      ok: false,
      message: `template "${service.template}" has no version ${service.version} in ${describeSource(source)}`,
      fix: versions.length ? `versions are ${versions.join(", ")}; check \`version:\` in .paved.yml or pass --source` : "pass --source <dir|git-url> where the template lives",
    };
  }
  try {
    const version = await source.loadVersion(service.template, service.version);
    const meta = { template: service.template, version: service.version, dirName: path.basename(dir) };
    const answers = answersForRender(version.manifest.questions, service.answers, meta);
    return { ok: true, template: { source, versions, version, answers, ...renderForChecks(version, answers, meta) } };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { ok: false, message: `template ${service.template} ${service.version} cannot be rendered: ${error.message}`, fix: error.hint ?? "report this to the template's owners" };
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
export function renderForChecks(version: TemplateVersion, answers: Answers, meta: { template: string; version: string; dirName: string }): Pick<TemplateContext, "paths" | "managed" | "origins" | "entry" | "sourceText"> {
  const needed = neededUpFront(version);
  const skeleton: FileTree = new Map();
  for (const [p, entry] of version.files) skeleton.set(p, entry.symlink !== undefined || needed(p) ? entry : { data: EMPTY, mode: entry.mode });
  const layout = renderTemplate({ ...version, files: skeleton }, answers, meta);
  let full: RenderResult | undefined;
  return {
    paths: [...layout.tree.keys()].sort(),
    managed: layout.managed,
    origins: layout.origins,
    entry(p) {
      const origin = layout.origins.get(p);
      if (origin === undefined) return undefined;
      if (skeleton.get(origin) === version.files.get(origin)) return layout.tree.get(p);
      full ??= renderTemplate(version, answers, meta);
      return full.tree.get(p);
    },
    sourceText(p) {
      const origin = layout.origins.get(p);
      const entry = origin === undefined ? undefined : version.files.get(origin);
      return entry && entry.symlink === undefined && !isBinary(entry.data) ? entryText(entry) : undefined;
    },
  };
}
