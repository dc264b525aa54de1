import path from "node:path";
import picomatch from "picomatch";
import semver from "semver";
import { parse } from "yaml";
import { resolveAnswers, type Answers, type ProvidedAnswer, type RenderMeta } from "../answers/answers.js";
import { ExpressionError, parseExpression, referencedNames } from "../answers/expression.js";
import { describeSymlinkProblem, symlinkProblem } from "../fs/paths.js";
import { kebab } from "../render/case.js";
import { renderManifestText } from "../render/manifest-text.js";
import { renderTemplate } from "../render/render.js";
import { UserError } from "../errors.js";
import { normalizeCommand } from "../hooks.js";
import { manifestSchema, type Manifest, type RawCommand } from "../templates/manifest.js";
import { versionOfTag } from "../templates/git-source.js";
import { describeIssue } from "../validation.js";
import { parseConfigText } from "../yaml-file.js";
import { asTemplateVersion, readTemplateDir, type TemplateDir } from "./template-dir.js";

export type LintRule =
  | "manifest/valid"
  | "manifest/location"
  | "render/undefined-variable"
  | "render/error"
  | "render/unsafe-path"
  | "examples/answers"
  | "examples/missing"
  | "when/unknown-answer"
  | "when/syntax"
  | "files/glob-unmatched"
  | "version/not-above-previous"
  | "version/tag-mismatch";

export interface LintFinding {
  rule: LintRule;
  /** Relative to the template directory: `template.yaml`, `files/src/index.ts`. */
  file: string;
  line?: number;
  message: string;
  hint?: string;
}

export interface LintResult {
  dir: string;
  name?: string;
  version?: string;
  /** The answer sets rendered: "defaults" and each example's name. */
  rendered: string[];
  findings: LintFinding[];
}

export interface AnswerSet {
  name: string;
  /** Index in `examples:`; undefined for the defaults. */
  example?: number;
  provided: Map<string, ProvidedAnswer>;
  meta: RenderMeta;
}

const MANIFEST = "template.yaml";

/**
 * Check a template directory the way CI should before a release: a valid manifest, every file renders
 * (strict Handlebars) with the defaults and each example, `when` expressions use known answers, globs
 * match, rendered paths are safe and the version is above the last released one.
 * Throws UserError only when the directory is unusable (no template.yaml).
 */
export async function lintTemplate(dirArg: string): Promise<LintResult> {
  const template = await readTemplateDir(dirArg);
  const findings: LintFinding[] = [];
  const result: LintResult = { dir: template.dir, rendered: [], findings };

  const manifest = validateManifest(template, findings);
  if (!manifest) return result;
  result.name = manifest.name;
  result.version = manifest.version;

  checkWhenExpressions(template, manifest, findings);
  checkSourcePaths(template, findings);
  const renderedPaths = await renderAnswerSets(template, manifest, findings, result.rendered);
  checkGlobs(template, manifest, renderedPaths, findings);
  checkLocation(template, manifest, findings);
  await checkVersionAgainstTags(template, manifest, findings);
  return result;
}

function validateManifest(template: TemplateDir, findings: LintFinding[]): Manifest | undefined {
  let data: unknown;
  try {
    data = parseConfigText(template.text, MANIFEST, "fix the YAML syntax");
  } catch (error) {
    const message = (error as Error).message;
    const line = error instanceof UserError ? error.fields.line : undefined;
    findings.push({ rule: "manifest/valid", file: MANIFEST, ...(line ? { line } : {}), message: message.replace(/^template\.yaml(:\d+)?: /, "") });
    return undefined;
  }
  const parsed = manifestSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const line = template.lineOf(issue.path as Array<string | number>);
    findings.push({
      rule: "manifest/valid",
      file: MANIFEST,
      ...(line ? { line } : {}),
      message: describeIssue(issue),
      hint: "see the manifest reference in docs/authoring.md; editors validate with schema/template.schema.json",
    });
  }
  return undefined;
}

interface Expression {
  where: Array<string | number>;
  text: string;
  known: ReadonlySet<string>;
  knownLabel: string;
}

function checkWhenExpressions(template: TemplateDir, manifest: Manifest, findings: LintFinding[]): void {
  const all = new Set(manifest.questions.map((q) => q.name));
  const expressions: Expression[] = [];
  manifest.questions.forEach((q, i) => {
    const earlier = new Set(manifest.questions.slice(0, i).map((e) => e.name));
    if (typeof q.when === "string") expressions.push({ where: ["questions", i, "when"], text: q.when, known: earlier, knownLabel: "an earlier question" });
  });
  for (const [glob, when] of Object.entries(manifest.files.when)) {
    if (typeof when === "string") expressions.push({ where: ["files", "when", glob], text: when, known: all, knownLabel: "a question" });
  }
  manifest.checks.forEach((check, i) => {
    if (typeof check.when === "string") expressions.push({ where: ["checks", i, "when"], text: check.when, known: all, knownLabel: "a question" });
  });
  for (const expression of expressions) {
    const line = template.lineOf(expression.where);
    const field = fieldName(expression.where);
    let names: Set<string>;
    try {
      names = referencedNames(parseExpression(expression.text));
    } catch (error) {
      const detail = error instanceof ExpressionError ? error.message : String(error);
      findings.push({ rule: "when/syntax", file: MANIFEST, ...(line ? { line } : {}), message: `${field}: ${JSON.stringify(expression.text)}: ${detail}` });
      continue;
    }
    for (const name of names) {
      if (expression.known.has(name)) continue;
      findings.push({
        rule: "when/unknown-answer",
        file: MANIFEST,
        ...(line ? { line } : {}),
        message: `${field}: "${name}" is not ${expression.knownLabel}`,
        hint: `answers known here: ${[...expression.known].join(", ") || "(none)"}`,
      });
    }
  }
}

function fieldName(where: ReadonlyArray<string | number>): string {
  return where.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : /^[A-Za-z_]\w*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join("");
}

function checkSourcePaths(template: TemplateDir, findings: LintFinding[]): void {
  for (const [relative, entry] of template.files) {
    if (entry.symlink === undefined) continue;
    // Resolved against the template's own tree, hop by hop: the same rule the loader applies.
    const problem = symlinkProblem(template.files, relative);
    if (problem) {
      findings.push({
        rule: "render/unsafe-path",
        file: `files/${relative}`,
        message: `symlink to ${JSON.stringify(entry.symlink)} ${describeSymlinkProblem(problem, "template")}`,
        hint: "template symlinks must point inside files/ and never into .git",
      });
    }
  }
}

/** The answer sets lint renders: the defaults (when every required question has one) and each example. */
export function answerSets(manifest: Manifest): { sets: AnswerSet[]; defaultsComplete: boolean } {
  const defaultsComplete = manifest.questions.every((q) => !q.required || q.default !== undefined);
  const sets: AnswerSet[] = [];
  const meta = (dirName: string): RenderMeta => ({ template: manifest.name, version: manifest.version, dirName });
  if (defaultsComplete || manifest.examples.length === 0) sets.push({ name: "defaults", provided: new Map(), meta: meta("example-service") });
  for (const [index, example] of manifest.examples.entries()) {
    const provided = new Map<string, ProvidedAnswer>();
    for (const [key, value] of Object.entries(example.answers)) provided.set(key, { value, origin: "answers file" });
    const name = typeof example.answers.name === "string" ? example.answers.name : kebab(example.name);
    sets.push({ name: example.name, example: index, provided, meta: meta(name) });
  }
  return { sets, defaultsComplete };
}

async function renderAnswerSets(template: TemplateDir, manifest: Manifest, findings: LintFinding[], rendered: string[]): Promise<Set<string>> {
  const renderedPaths = new Set<string>();
  // The same problem met by several answer sets is one finding that names them all.
  const renderFindings = new Map<string, { finding: LintFinding; sets: string[] }>();
  const { sets } = answerSets(manifest);
  for (const set of sets) {
    const exampleIndex = set.example ?? -1;
    let answers: Answers;
    try {
      answers = (await resolveAnswers({ questions: manifest.questions, provided: set.provided, meta: set.meta, manifestFile: MANIFEST })).answers;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const line = exampleIndex >= 0 ? template.lineOf(["examples", exampleIndex, "answers"]) : undefined;
      if (exampleIndex < 0 && error instanceof UserError && error.code === "missing-answer") {
        findings.push({ rule: "examples/missing", file: MANIFEST, message: `cannot render with the defaults alone: ${message}`, hint: "add `examples:` with answers for the questions that have no default" });
      } else if (exampleIndex < 0) {
        findings.push({ rule: "examples/answers", file: MANIFEST, message: `the defaults: ${message}`, hint: "a question's default must pass its own type, pattern and range" });
      } else {
        findings.push({ rule: "examples/answers", file: MANIFEST, ...(line ? { line } : {}), message: `examples[${exampleIndex}] (${set.name}): ${message}` });
      }
      continue;
    }
    rendered.push(set.name);
    const record = (finding: LintFinding) => {
      const key = `${finding.rule}|${finding.file}|${finding.line}|${finding.message}`;
      const seen = renderFindings.get(key);
      if (seen) seen.sets.push(set.name);
      else renderFindings.set(key, { finding, sets: [set.name] });
    };
    // One file at a time, so one broken file does not hide the others.
    for (const [sourcePath, entry] of template.files) {
      if (entry.symlink !== undefined && symlinkProblem(template.files, sourcePath)) continue; // reported once by checkSourcePaths
      const single = asTemplateVersion(template, manifest, new Map([[sourcePath, entry]]));
      try {
        for (const target of renderTemplate(single, answers, set.meta).tree.keys()) renderedPaths.add(target);
      } catch (error) {
        record(renderFinding(sourcePath, error));
      }
    }
    // Next steps and hook commands are rendered with the answers too (hooks: each {{...}} as one word).
    for (const { where, text, raw } of manifestTexts(manifest)) {
      const field = fieldName(where);
      const line = template.lineOf(where);
      const context = { ...answers, paved: set.meta };
      try {
        renderManifestText(text, context, field);
        if (raw !== undefined) normalizeCommand(raw, { context, where: field });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const missing = error instanceof UserError && error.code === "template-unknown-variable" ? error.fields.variable : undefined;
        record({
          rule: missing ? "render/undefined-variable" : "render/error",
          file: MANIFEST,
          ...(line ? { line } : {}),
          message: missing ? `${field}: {{${missing}}} is not defined` : error instanceof UserError ? message : `${field}: ${message.split("\n")[0]}`,
        });
      }
    }
    try {
      renderTemplate(asTemplateVersion(template, manifest), answers, set.meta);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof UserError && error.code === "template-collision") record({ rule: "render/error", file: MANIFEST, message });
    }
  }
  for (const { finding, sets: names } of renderFindings.values()) {
    findings.push({ ...finding, message: `${finding.message} (rendering with ${names.join(", ")})` });
  }
  return renderedPaths;
}

/** The manifest's strings that are rendered with the answers: next steps, hook and migration commands. */
function manifestTexts(manifest: Manifest): Array<{ where: Array<string | number>; text: string; raw?: RawCommand }> {
  const commandText = (c: RawCommand) => (typeof c === "string" ? c : Array.isArray(c.run) ? c.run.join(" ") : c.run);
  return [
    ...manifest.nextSteps.map((text, i) => ({ where: ["nextSteps", i], text })),
    ...(["postCreate", "postUpgrade"] as const).flatMap((hook) => manifest.hooks[hook].map((raw, i) => ({ where: ["hooks", hook, i], text: commandText(raw), raw }))),
    ...manifest.migrations.flatMap((step, i) => {
      if (!("run" in step)) return [];
      const raw: RawCommand = { run: step.run, ...(step.shell !== undefined ? { shell: step.shell } : {}) };
      return [{ where: ["migrations", i, "run"], text: commandText(raw), raw }];
    }),
  ];
}

function renderFinding(sourcePath: string, error: unknown): LintFinding {
  const file = `files/${sourcePath}`;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UserError && error.code === "template-unknown-variable") {
    return {
      rule: "render/undefined-variable",
      file,
      ...(error.fields.line !== undefined ? { line: error.fields.line } : {}),
      message: `{{${error.fields.variable}}} is not defined`,
      hint: "use a question's name, or {{paved.template}}, {{paved.version}}, {{paved.dirName}}",
    };
  }
  if (error instanceof UserError && error.code === "unsafe-path") {
    return { rule: "render/unsafe-path", file, message: message.replace(/^.*?: (the path|symlink|renders to)/, "$1"), hint: "paths must stay inside the generated repository" };
  }
  return { rule: "render/error", file, message: message.replace(/^[^:]*: /, "") };
}

function checkGlobs(template: TemplateDir, manifest: Manifest, renderedPaths: ReadonlySet<string>, findings: LintFinding[]): void {
  const sources = [...template.files.keys()];
  const groups: Array<{ field: "managed" | "copy" | "when"; globs: string[] }> = [
    { field: "managed", globs: manifest.files.managed },
    { field: "copy", globs: manifest.files.copy },
    { field: "when", globs: Object.keys(manifest.files.when) },
  ];
  for (const { field, globs } of groups) {
    globs.forEach((glob, i) => {
      const match = picomatch(glob, { dot: true });
      if (sources.some((p) => match(p)) || (field === "managed" && [...renderedPaths].some((p) => match(p)))) return;
      const line = template.lineOf(field === "when" ? ["files", "when", glob] : ["files", field, i]);
      findings.push({
        rule: "files/glob-unmatched",
        file: MANIFEST,
        ...(line ? { line } : {}),
        message: `files.${field}: ${JSON.stringify(glob)} matches no file under files/`,
        hint: "globs are matched against paths as written under files/ (e.g. src/**/*.ts); fix or remove it",
      });
    });
  }
}

/** In a `<root>/<name>/<version>/` layout the folders must agree with the manifest. */
function checkLocation(template: TemplateDir, manifest: Manifest, findings: LintFinding[]): void {
  const folder = path.basename(template.dir);
  if (semver.valid(folder) !== folder) return;
  const parent = path.basename(path.dirname(template.dir));
  if (folder !== manifest.version) {
    findings.push({ rule: "manifest/location", file: MANIFEST, ...lineField(template, ["version"]), message: `version is ${manifest.version} but the folder is ${folder}`, hint: `rename the folder to ${manifest.version} or fix version` });
  }
  if (parent !== manifest.name) {
    findings.push({ rule: "manifest/location", file: MANIFEST, ...lineField(template, ["name"]), message: `name is ${manifest.name} but the folder is ${parent}`, hint: `the layout is <root>/<name>/<version>/` });
  }
}

function lineField(template: TemplateDir, where: Array<string | number>): { line?: number } {
  const line = template.lineOf(where);
  return line ? { line } : {};
}

/**
 * In a template repository (template.yaml at the root) the tags are the releases: each tag's manifest
 * must carry the tag's version, and the working version must be above the newest release unless the
 * working tree is that release.
 */
async function checkVersionAgainstTags(template: TemplateDir, manifest: Manifest, findings: LintFinding[]): Promise<void> {
  const { execa } = await import("execa");
  const run = (args: string[]) => execa("git", args, { cwd: template.dir, reject: false, stdin: "ignore", env: { LC_ALL: "C", GIT_OPTIONAL_LOCKS: "0" } });
  const top = await run(["rev-parse", "--show-toplevel"]);
  if (top.failed || path.resolve(String(top.stdout).trim()) !== (await realpath(template.dir))) return;
  const refs = await run(["for-each-ref", "--format=%(refname:strip=2) %(*objectname)%(objectname)", "refs/tags"]);
  const head = String((await run(["rev-parse", "HEAD"])).stdout).trim();
  const tags: Array<{ tag: string; version: string }> = [];
  for (const line of String(refs.stdout).split("\n").filter(Boolean)) {
    const [tag] = line.split(" ");
    const version = versionOfTag(tag!);
    if (version) tags.push({ tag: tag!, version });
  }
  for (const { tag, version } of tags) {
    const shown = await run(["cat-file", "blob", `refs/tags/${tag}:${MANIFEST}`]);
    const tagged = shown.failed ? undefined : safeVersion(String(shown.stdout));
    if (tagged !== version) {
      findings.push({
        rule: "version/tag-mismatch",
        file: MANIFEST,
        message: shown.failed ? `tag ${tag} has no template.yaml at the repository root` : `tag ${tag} holds version ${tagged ?? "(none)"}, not ${version}`,
        hint: "a tag must point at a commit whose template.yaml has the tag's version; move or delete the tag",
      });
    }
  }
  const same = tags.find((t) => t.version === manifest.version);
  if (same) {
    const commit = String((await run(["rev-parse", `refs/tags/${same.tag}^{commit}`])).stdout).trim();
    const dirty = String((await run(["status", "--porcelain", "--", MANIFEST, "files"])).stdout).trim();
    if (commit === head && !dirty) return;
    findings.push({
      rule: "version/not-above-previous",
      file: MANIFEST,
      ...lineField(template, ["version"]),
      message: `version ${manifest.version} is already released (tag ${same.tag}) and the template changed since`,
      hint: `raise version (e.g. ${semver.inc(manifest.version, "minor")}) and add a changelog entry; released versions are immutable`,
    });
    return;
  }
  const newest = tags.map((t) => t.version).sort(semver.rcompare)[0];
  if (newest && semver.lte(manifest.version, newest)) {
    findings.push({
      rule: "version/not-above-previous",
      file: MANIFEST,
      ...lineField(template, ["version"]),
      message: `version ${manifest.version} is not above the newest release ${newest}`,
      hint: `raise version above ${newest} (e.g. ${semver.inc(newest, "minor")})`,
    });
  }
}

function safeVersion(text: string): string | undefined {
  try {
    const data = parse(text) as { version?: unknown } | null;
    return typeof data?.version === "string" ? data.version : undefined;
  } catch {
    return undefined;
  }
}

async function realpath(dir: string): Promise<string> {
  const { realpath: real } = await import("node:fs/promises");
  return real(dir).catch(() => dir);
}
