import { realpath as realpathOrThrow } from "node:fs/promises";
import path from "node:path";
import picomatch from "picomatch";
import semver from "semver";
import { parse } from "yaml";
import { resolveAnswers, type Answers, type ProvidedAnswer, type RenderMeta } from "../answers/answers.js";
import { ExpressionError, parseExpression, referencedNames } from "../answers/expression.js";
import { describeSymlinkProblem, symlinkProblem } from "../fs/paths.js";
import { isBinary, isUtf8 } from "../tree.js";
import { kebab } from "../render/case.js";
import { compileTemplate } from "../render/handlebars.js";
import { renderTemplate, splitTemplatePath } from "../render/render.js";
import { UserError } from "../errors.js";
import { normalizeCommand } from "../hooks.js";
import { manifestSchema, TEMPLATE_NAME, type Manifest, type RawCommand } from "../templates/manifest.js";
import { parseTemplateTag } from "../templates/git-source.js";
import { describeIssue } from "../validation.js";
import { parseConfigText } from "../yaml-file.js";
import { checkReleases, type ReleaseLintRule } from "./lint-release.js";
import { checkTemplateRefs, PAVED_META_KEYS, rootShape, type RefFinding, type RefProblem } from "./static-refs.js";
import { asTemplateVersion, readTemplateDir, type TemplateDir } from "./template-dir.js";
import { cliRenderMeta } from "../config.js";
import { inferWarnings } from "../adopt/lint-infer.js";

export type LintRule =
  | "manifest/valid"
  | "manifest/location"
  | "render/undefined-variable"
  | "render/unknown-helper"
  | "render/log-refused"
  | "render/unsupported"
  | "render/error"
  | "render/unsafe-path"
  | "examples/answers"
  | "examples/missing"
  | "when/unknown-answer"
  | "when/syntax"
  | "files/glob-unmatched"
  | "version/not-above-previous"
  | "version/tag-mismatch"
  | "coverage/unexercised-branch"
  | "infer/round-trip"
  | ReleaseLintRule;

export interface LintFinding {
  rule: LintRule;
  /** Relative to the template directory: `template.yaml`, `files/src/index.ts`. */
  file: string;
  line?: number;
  /** 1-based; set where the finding points into a text (a template, a path, a manifest string). */
  column?: number;
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
  /** Worth a look but not a failure: branches, `files.when` outcomes and choices no example exercises. */
  warnings: LintFinding[];
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
  const result: LintResult = { dir: template.dir, rendered: [], findings, warnings: [] };

  const manifest = validateManifest(template, findings);
  if (!manifest) return result;
  result.name = manifest.name;
  result.version = manifest.version;

  checkWhenExpressions(template, manifest, findings);
  checkSourcePaths(template, findings);
  const flagged = checkTemplateTexts(template, manifest, findings);
  const renderedPaths = await renderAnswerSets(template, manifest, findings, result.rendered, flagged);
  checkGlobs(template, manifest, renderedPaths, findings);
  result.warnings = await coverageWarnings(template, manifest);
  result.warnings.push(
    ...(await inferWarnings(asTemplateVersion(template, manifest), answerSets(manifest).sets, (where) => template.lineOf(where))),
  );
  checkLocation(template, manifest, findings);
  await checkVersionAgainstTags(template, manifest, findings);
  const releases = await checkReleases(template, manifest);
  findings.push(...releases.findings);
  result.warnings.push(...releases.warnings);
  return result;
}

function validateManifest(template: TemplateDir, findings: LintFinding[]): Manifest | undefined {
  let data: unknown;
  try {
    data = parseConfigText(template.text, MANIFEST, "fix the YAML syntax");
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const { line } = error.fields;
    findings.push({ rule: "manifest/valid", file: MANIFEST, ...(line ? { line } : {}), message: error.reason });
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
    if (typeof q.when === "string")
      expressions.push({ where: ["questions", i, "when"], text: q.when, known: earlier, knownLabel: "an earlier question" });
  });
  for (const [glob, when] of Object.entries(manifest.files.when)) {
    if (typeof when === "string") expressions.push({ where: ["files", "when", glob], text: when, known: all, knownLabel: "a question" });
  }
  manifest.checks.forEach((check, i) => {
    if (typeof check.when === "string")
      expressions.push({ where: ["checks", i, "when"], text: check.when, known: all, knownLabel: "a question" });
  });
  for (const expression of expressions) {
    const line = template.lineOf(expression.where);
    const field = fieldName(expression.where);
    let names: Set<string>;
    try {
      names = referencedNames(parseExpression(expression.text));
    } catch (error) {
      const detail = error instanceof ExpressionError ? error.message : String(error);
      findings.push({
        rule: "when/syntax",
        file: MANIFEST,
        ...(line ? { line } : {}),
        message: `${field}: ${JSON.stringify(expression.text)}: ${detail}`,
      });
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
  return where
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : /^[A-Za-z_]\w*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`))
    .join("");
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

const RULE_OF: Record<RefProblem, LintRule> = {
  "undefined-variable": "render/undefined-variable",
  "unknown-helper": "render/unknown-helper",
  "log-refused": "render/log-refused",
  unsupported: "render/unsupported",
  syntax: "render/error",
};

const HINT_OF: Partial<Record<RefProblem, string>> = {
  "undefined-variable": `use a question's name, or ${PAVED_META_KEYS.map((k) => `{{paved.${k}}}`).join(", ")}; inside {{#each}}/{{#with}} reach answers with ../name or @root.name`,
  "unknown-helper": "use one of the listed helpers (see docs/authoring.md), or an answer without arguments",
};

/** What lint checked statically and found wrong: files (source paths) and manifest fields, not rendered again. */
interface Flagged {
  files: Set<string>;
  fields: Set<string>;
}

/**
 * Every template text checked without rendering, so every branch is covered whatever the examples choose:
 * file contents, templated path segments, question defaults, next steps, hook and migration commands.
 */
function checkTemplateTexts(template: TemplateDir, manifest: Manifest, findings: LintFinding[]): Flagged {
  const flagged: Flagged = { files: new Set(), fields: new Set() };
  const root = rootShape(manifest.questions);
  const copied = manifest.files.copy.length ? picomatch(manifest.files.copy, { dot: true }) : () => false;
  const finding = (ref: RefFinding, file: string, at: { line?: number; column?: number }, prefix = ""): LintFinding => {
    const hint = HINT_OF[ref.problem];
    return { rule: RULE_OF[ref.problem], file, ...at, message: `${prefix}${ref.message}`, ...(hint ? { hint } : {}) };
  };
  for (const [sourcePath, entry] of template.files) {
    const file = `files/${sourcePath}`;
    let offset = "files/".length; // columns count in the path as shown
    for (const segment of splitTemplatePath(sourcePath)) {
      if (segment.includes("{{")) {
        for (const ref of checkTemplateRefs(segment, root)) {
          findings.push(finding(ref, file, { line: 1, column: offset + ref.column }, "in the file's path: "));
          flagged.files.add(sourcePath);
        }
      }
      offset += segment.length + 1;
    }
    // The files render renders (src/render/render.ts): not copied, not symlinks, UTF-8 text holding "{{".
    if (entry.symlink !== undefined || copied(sourcePath) || isBinary(entry.data) || !isUtf8(entry.data)) continue;
    const text = Buffer.from(entry.data).toString("utf8");
    if (!text.includes("{{")) continue;
    for (const ref of checkTemplateRefs(text, root)) {
      findings.push(finding(ref, file, { line: ref.line, column: ref.column }));
      flagged.files.add(sourcePath);
    }
  }
  for (const { where, text, earlier } of manifestTemplateStrings(manifest)) {
    if (!text.includes("{{")) continue;
    const field = fieldName(where);
    const scope = earlier === undefined ? root : rootShape(manifest.questions.slice(0, earlier));
    for (const ref of checkTemplateRefs(text, scope)) {
      const found = finding(ref, MANIFEST, template.positionIn(where, ref.line, ref.column), `${field}: `);
      if (earlier !== undefined && ref.problem === "undefined-variable")
        found.hint = `a default may only use answers to earlier questions and ${PAVED_META_KEYS.map((k) => `{{paved.${k}}}`).join(", ")}`;
      findings.push(found);
      flagged.fields.add(field);
    }
  }
  return flagged;
}

/** Each manifest string rendered with the answers, where it is; `earlier`: a default sees only earlier questions. */
function manifestTemplateStrings(manifest: Manifest): Array<{ where: Array<string | number>; text: string; earlier?: number }> {
  const out: Array<{ where: Array<string | number>; text: string; earlier?: number }> = [];
  manifest.questions.forEach((q, i) => {
    if (typeof q.default === "string") out.push({ where: ["questions", i, "default"], text: q.default, earlier: i });
  });
  for (const [i, text] of manifest.nextSteps.entries()) out.push({ where: ["nextSteps", i], text });
  const command = (raw: RawCommand, where: Array<string | number>) => {
    if (typeof raw === "string") out.push({ where, text: raw });
    else if (Array.isArray(raw.run)) for (const [k, word] of raw.run.entries()) out.push({ where: [...where, "run", k], text: word });
    else out.push({ where: [...where, "run"], text: raw.run });
  };
  for (const hook of ["postCreate", "postUpgrade"] as const)
    for (const [i, raw] of manifest.hooks[hook].entries()) command(raw, ["hooks", hook, i]);
  // `paved upgrade --verify` and `paved template test` render test commands with the answers too.
  for (const [i, raw] of manifest.test.entries()) command(raw, ["test", i]);
  manifest.migrations.forEach((step, i) => {
    if ("run" in step) command({ run: step.run }, ["migrations", i]);
  });
  return out;
}

/** The answer sets lint renders: the defaults (when every required question has one) and each example. */
export function answerSets(manifest: Manifest): { sets: AnswerSet[]; defaultsComplete: boolean } {
  const defaultsComplete = manifest.questions.every((q) => !q.required || q.default !== undefined);
  const sets: AnswerSet[] = [];
  const meta = (dirName: string): RenderMeta => ({ template: manifest.name, version: manifest.version, dirName, ...cliRenderMeta() });
  if (defaultsComplete || manifest.examples.length === 0)
    sets.push({ name: "defaults", provided: new Map(), meta: meta("example-service") });
  for (const [index, example] of manifest.examples.entries()) {
    const provided = new Map<string, ProvidedAnswer>();
    for (const [key, value] of Object.entries(example.answers)) provided.set(key, { value, origin: "answers file" });
    const name = typeof example.answers.name === "string" ? example.answers.name : kebab(example.name);
    sets.push({ name: example.name, example: index, provided, meta: meta(name) });
  }
  return { sets, defaultsComplete };
}

async function renderAnswerSets(
  template: TemplateDir,
  manifest: Manifest,
  findings: LintFinding[],
  rendered: string[],
  flagged: Flagged,
): Promise<Set<string>> {
  const renderedPaths = new Set<string>();
  // The same problem met by several answer sets is one finding that names them all.
  const renderFindings = new Map<string, { finding: LintFinding; sets: string[] }>();
  const { sets } = answerSets(manifest);
  for (const set of sets) {
    const exampleIndex = set.example ?? -1;
    let answers: Answers;
    try {
      answers = (await resolveAnswers({ questions: manifest.questions, provided: set.provided, meta: set.meta, manifestFile: MANIFEST }))
        .answers;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const line = exampleIndex >= 0 ? template.lineOf(["examples", exampleIndex, "answers"]) : undefined;
      if (exampleIndex < 0 && error instanceof UserError && error.code === "missing-answer") {
        findings.push({
          rule: "examples/missing",
          file: MANIFEST,
          message: `cannot render with the defaults alone: ${message}`,
          hint: "add `examples:` with answers for the questions that have no default",
        });
      } else if (exampleIndex < 0) {
        findings.push({
          rule: "examples/answers",
          file: MANIFEST,
          message: `the defaults: ${message}`,
          hint: "a question's default must pass its own type, pattern and range",
        });
      } else {
        findings.push({
          rule: "examples/answers",
          file: MANIFEST,
          ...(line ? { line } : {}),
          message: `examples[${exampleIndex}] (${set.name}): ${message}`,
        });
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
      if (flagged.files.has(sourcePath)) continue; // reported with its position by checkTemplateTexts
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
      if ([...flagged.fields].some((f) => f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}[`))) continue;
      const line = template.lineOf(where);
      const context = { ...answers, paved: set.meta };
      try {
        compileTemplate(text)(context);
        if (raw !== undefined) normalizeCommand(raw, { context, where: { file: MANIFEST, field } });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        record({
          rule: "render/error",
          file: MANIFEST,
          ...(line ? { line } : {}),
          // The finding names template.yaml itself; a UserError's reason starts with the field.
          message: error instanceof UserError ? error.reason : `${field}: ${message.split("\n")[0]}`,
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
    ...(["postCreate", "postUpgrade"] as const).flatMap((hook) =>
      manifest.hooks[hook].map((raw, i) => ({ where: ["hooks", hook, i], text: commandText(raw), raw })),
    ),
    ...manifest.migrations.flatMap((step, i) => {
      if (!("run" in step)) return [];
      const raw: RawCommand = { run: step.run, ...(step.shell !== undefined ? { shell: step.shell } : {}) };
      return [{ where: ["migrations", i, "run"], text: commandText(raw), raw }];
    }),
  ];
}

function renderFinding(sourcePath: string, error: unknown): LintFinding {
  const file = `files/${sourcePath}`;
  // The finding names the file itself, so it takes the bare reason where the error's location is a field.
  const located = error instanceof UserError && error.fields.file !== undefined && error.fields.line === undefined;
  const message = located ? error.reason : error instanceof Error ? error.message : String(error);
  if (error instanceof UserError && error.code === "unsafe-path") {
    return {
      rule: "render/unsafe-path",
      file,
      message: located ? message : message.replace(/^.*?: (the path|symlink|renders to)/, "$1"),
      hint: "paths must stay inside the generated repository",
    };
  }
  return { rule: "render/error", file, message: located ? message : message.replace(/^[^:]*: /, "") };
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

async function coverageWarnings(template: TemplateDir, manifest: Manifest): Promise<LintFinding[]> {
  const { templateCoverage } = await import("./coverage.js");
  const report = await templateCoverage(manifest, template.files, template.lineOf);
  return report.branches
    .filter((b) => b.exercisedBy.length === 0)
    .map((b) => ({
      rule: "coverage/unexercised-branch" as const,
      file: b.file,
      ...(b.line ? { line: b.line } : {}),
      ...(b.column ? { column: b.column } : {}),
      message: b.kind === "choice" ? `no example picks ${b.label}` : `no example takes ${b.label}`,
      hint: `add an example to examples: that ${b.kind === "choice" ? "picks it" : "takes it"} (paved template test --coverage lists them all)`,
    }));
}

/** In a `<root>/<name>/<version>/` layout the folders must agree with the manifest. */
function checkLocation(template: TemplateDir, manifest: Manifest, findings: LintFinding[]): void {
  const folder = path.basename(template.dir);
  if (semver.valid(folder) !== folder) return;
  const parent = path.basename(path.dirname(template.dir));
  if (folder !== manifest.version) {
    findings.push({
      rule: "manifest/location",
      file: MANIFEST,
      ...lineField(template, ["version"]),
      message: `version is ${manifest.version} but the folder is ${folder}`,
      hint: `rename the folder to ${manifest.version} or fix version`,
    });
  }
  if (parent !== manifest.name) {
    findings.push({
      rule: "manifest/location",
      file: MANIFEST,
      ...lineField(template, ["name"]),
      message: `name is ${manifest.name} but the folder is ${parent}`,
      hint: `the layout is <root>/<name>/<version>/`,
    });
  }
}

function lineField(template: TemplateDir, where: Array<string | number>): { line?: number } {
  const line = template.lineOf(where);
  return line ? { line } : {};
}

/**
 * In a template repository the tags are the releases: of the template at the root (`v1.2.0`), or of one of
 * several templates in `<name>/` or `templates/<name>/` (`<name>@1.2.0`, `<name>-v1.2.0`). Each of this
 * template's tags must hold its manifest with the tag's version (and name), and the working version must be
 * above the newest release unless the working tree is that release.
 */
async function checkVersionAgainstTags(template: TemplateDir, manifest: Manifest, findings: LintFinding[]): Promise<void> {
  const { tryGit } = await import("../git/run.js");
  // Lint reads what git can tell: a git that cannot start means no tags to check, not a failed lint.
  const run = (args: string[]) =>
    tryGit(template.dir, args, undefined, { LC_ALL: "C", GIT_OPTIONAL_LOCKS: "0" }).then(
      (result) => ({ failed: result.exitCode !== 0, stdout: result.stdout }),
      (error: unknown) => {
        if (error instanceof UserError) return { failed: true, stdout: "" };
        throw error;
      },
    );
  const top = await run(["rev-parse", "--show-toplevel"]);
  if (top.failed) return;
  const folder = path
    .relative(path.resolve(String(top.stdout).trim()), await realpath(template.dir))
    .split(path.sep)
    .join("/");
  // The tags name this template: the root one's (no name), or the one its folder names.
  const named = folder === "" ? undefined : /^(?:templates\/)?([^/]+)$/.exec(folder)?.[1];
  if (folder !== "" && (named === undefined || !TEMPLATE_NAME.test(named))) return;
  const manifestAt = folder === "" ? MANIFEST : `${folder}/${MANIFEST}`;
  const refs = await run(["for-each-ref", "--format=%(refname:strip=2) %(*objectname)%(objectname)", "refs/tags"]);
  const tags: Array<{ tag: string; version: string }> = [];
  for (const line of String(refs.stdout).split("\n").filter(Boolean)) {
    const tag = line.split(" ", 1)[0] ?? line;
    const parsed = parseTemplateTag(tag);
    if (parsed && parsed.name === named) tags.push({ tag, version: parsed.version });
  }
  for (const { tag, version } of tags) {
    const shown = await run(["cat-file", "blob", `refs/tags/${tag}:${manifestAt}`]);
    const tagged = shown.failed ? undefined : taggedManifest(String(shown.stdout));
    const message = shown.failed
      ? `tag ${tag} has no ${manifestAt}${folder === "" ? " at the repository root" : ""}`
      : tagged?.version !== version
        ? `tag ${tag} holds version ${tagged?.version ?? "(none)"}, not ${version}`
        : named !== undefined && tagged.name !== named
          ? `tag ${tag} holds the template "${tagged.name ?? "(none)"}", not "${named}"`
          : undefined;
    if (message) {
      findings.push({
        rule: "version/tag-mismatch",
        file: MANIFEST,
        message,
        hint: `a tag must point at a commit whose ${manifestAt} has the tag's version${named === undefined ? "" : " and name"}; move or delete the tag`,
      });
    }
  }
  const same = tags.find((t) => t.version === manifest.version);
  if (same) {
    // The template's own files against the tag (paths relative to the template): in a repository of several
    // templates HEAD moves on with the others' releases, which do not change this one.
    const changed = String((await run(["diff", "--name-only", `refs/tags/${same.tag}`, "--", MANIFEST, "files"])).stdout).trim();
    const added = String((await run(["ls-files", "--others", "--exclude-standard", "--", MANIFEST, "files"])).stdout).trim();
    if (!changed && !added) return;
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

function taggedManifest(text: string): { version: string | undefined; name: string | undefined } | undefined {
  try {
    const data = parse(text) as { version?: unknown; name?: unknown } | null;
    return {
      version: typeof data?.version === "string" ? data.version : undefined,
      name: typeof data?.name === "string" ? data.name : undefined,
    };
  } catch {
    return undefined;
  }
}

async function realpath(dir: string): Promise<string> {
  return realpathOrThrow(dir).catch(() => dir);
}
