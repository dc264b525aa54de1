import picomatch from "picomatch";
import { pavedScope, UnknownAnswerRead, withUnknownAnswers, type Answers, type RenderMeta } from "../answers/answers.js";
import { ExpressionError, evaluateCondition } from "../answers/expression.js";
import { UserError } from "../errors.js";
import { assertSafeRelativePath, describeSymlinkProblem, symlinkProblem, unsafePathReason } from "../fs/paths.js";
import type { TemplateVersion } from "../templates/source.js";
import { versionFile } from "../templates/source.js";
import { isBinary, isUtf8, sameBytes, type FileEntry, type FileTree } from "../tree.js";
import { compileTemplate, UnknownTemplateVariable, unknownVariableOf, type CompiledTemplate } from "./handlebars.js";
import { TemplateTooDeep } from "./handlebars-subset/template-parser.js";

export interface RenderResult {
  tree: FileTree;
  /** Rendered paths the platform owns (the manifest's `files.managed`). */
  managed: Set<string>;
  /** Rendered path -> path under files/ it came from. */
  origins: Map<string, string>;
}

type Matcher = (p: string) => boolean;

interface PreparedVersion {
  conditions: Array<{ glob: string; match: Matcher; when: string | boolean }>;
  copy: Matcher;
  managed: Matcher;
  compiled: Map<string, CompiledTemplate>;
}

const prepared = new WeakMap<TemplateVersion, PreparedVersion>();

/**
 * Matchers by their globs: the versions an upgrade renders mostly share their manifest's globs, and compiling a
 * glob to a regular expression costs more than matching it. A matcher is a pure function of its globs.
 */
const matchers = new Map<string, Matcher>();

function matcherOf(globs: readonly string[]): Matcher {
  if (globs.length === 0) return () => false;
  const key = JSON.stringify(globs);
  let match = matchers.get(key);
  if (!match) {
    match = picomatch(globs as string[], { dot: true });
    matchers.set(key, match);
  }
  return match;
}

function prepare(version: TemplateVersion): PreparedVersion {
  let p = prepared.get(version);
  if (!p) {
    const files = version.manifest.files;
    p = {
      conditions: Object.entries(files.when).map(([glob, when]) => ({ glob, match: matcherOf([glob]), when })),
      copy: matcherOf(files.copy),
      managed: matcherOf(files.managed),
      compiled: new Map(),
    };
    prepared.set(version, p);
  }
  return p;
}

const OPEN = Buffer.from("{{");

function bytesOf(entry: FileEntry): Buffer {
  const data = entry.data;
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * What the bytes of a template file came to the last time a file at its path was rendered, in any version: most
 * files are the same bytes in every version an upgrade renders (two or three) and in every service a fleet run
 * renders, so each is checked and decoded once. The decoded text is the same string each time, which the
 * compiled-template cache (./handlebars.ts) then finds without reading it again; and an output equal to the last
 * one reuses its bytes. All of it is a function of the bytes alone (compared in full), so reusing it changes
 * no output. One entry per path, holding that path's last bytes and output: as large as the union of the paths
 * of the templates a process renders.
 */
interface SourceFacts {
  data: Uint8Array;
  /** The text to render, or undefined when the bytes are written as they are (no "{{", binary, or not UTF-8). */
  source: string | undefined;
  /** The last output rendered from it, and its bytes. */
  output?: { text: string; data: Buffer };
}

const sourceFacts = new Map<string, SourceFacts>();

function factsOf(sourcePath: string, entry: FileEntry): SourceFacts {
  const known = sourceFacts.get(sourcePath);
  if (known && sameBytes(known.data, entry.data)) return known;
  const bytes = bytesOf(entry);
  // Without the bytes "{{" a text file renders to itself (UTF-8 never uses them inside a character), so most
  // files are neither decoded nor checked. Handlebars renders decoded text: only UTF-8 can be decoded and
  // written back unchanged, so other text (Latin-1) is copied verbatim.
  const verbatim = !bytes.includes(OPEN) || isBinary(entry.data) || !isUtf8(entry.data);
  const facts: SourceFacts = { data: entry.data, source: verbatim ? undefined : bytes.toString("utf8") };
  sourceFacts.set(sourcePath, facts);
  return facts;
}

/** The bytes of a rendered text: those of the last output from the same file when it is the same text. */
function outputBytes(facts: SourceFacts, text: string): Buffer {
  if (facts.output?.text === text) return facts.output.data;
  const data = Buffer.from(text, "utf8");
  facts.output = { text, data };
  return data;
}

/** A template mistake as a UserError with a code and fields; `source` (the template text) locates an unknown name. */
export function renderError(file: string, error: unknown, source?: string): UserError {
  // Not a template mistake: the caller skips the file (see renderTemplate).
  if (error instanceof UnknownAnswerRead) throw error;
  const unknown = source === undefined ? undefined : unknownVariableOf(source, error);
  if (unknown) return renderError(file, unknown);
  if (error instanceof TemplateTooDeep) {
    return new UserError(error.message, {
      hint: "flatten the template: split deep {{#if}} chains into conditional files (`files.when`) or fewer levels",
      code: "template-too-deep",
      fields: { file },
    });
  }
  if (error instanceof UnknownTemplateVariable) {
    return new UserError(`{{${error.variable}}} is not defined (no question or value of that name)`, {
      hint: "the template must only use its questions' names and {{paved.template}}, {{paved.version}}, {{paved.dirName}}, {{paved.path}}, {{paved.root}}",
      code: "template-unknown-variable",
      fields: { file, line: error.line, variable: error.variable },
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split("\n").slice(0, 2).join(" ");
  return new UserError(`cannot render: ${first}`, {
    hint: "fix the Handlebars syntax in the template file",
    code: "template-syntax",
    fields: { file },
  });
}

/** A file's name for messages, worked out only when one is needed (most renders need none). */
type Shown = () => string;

function compiled(p: PreparedVersion, key: string, source: string, file: Shown): CompiledTemplate {
  let template = p.compiled.get(key);
  if (!template) {
    try {
      template = compileTemplate(source);
    } catch (error) {
      throw renderError(file(), error, source);
    }
    p.compiled.set(key, template);
  }
  return template;
}

/** Split a path at "/" outside of {{...}}, so `{{#if db}}x{{/if}}` stays one segment. */
export function splitTemplatePath(sourcePath: string): string[] {
  const segments: string[] = [];
  let depth = 0;
  let current = "";
  for (let i = 0; i < sourcePath.length; i++) {
    if (sourcePath.startsWith("{{", i)) {
      depth++;
      current += "{{";
      i++;
    } else if (depth > 0 && sourcePath.startsWith("}}", i)) {
      depth--;
      current += "}}";
      i++;
    } else if (depth === 0 && sourcePath[i] === "/") {
      segments.push(current);
      current = "";
    } else {
      current += sourcePath[i];
    }
  }
  segments.push(current);
  return segments;
}

function renderPath(p: PreparedVersion, sourcePath: string, context: unknown, file: Shown): string | undefined {
  if (!sourcePath.includes("{{")) return sourcePath;
  const segments = splitTemplatePath(sourcePath);
  const out: string[] = [];
  for (const [i, segment] of segments.entries()) {
    if (!segment.includes("{{")) {
      out.push(segment);
      continue;
    }
    const rendered = compiled(p, `path:${segments.slice(0, i + 1).join("/")}`, segment, file);
    let name: string;
    try {
      name = rendered(context);
    } catch (error) {
      throw renderError(file(), error, segment);
    }
    if (name.trim() === "") return undefined;
    out.push(name);
  }
  return out.join("/");
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Render a template version with answers into an in-memory tree.
 * Pure apart from CPU: no disk access, so render, upgrade and doctor can share it.
 * A file whose condition, path or content reads an `unknown` answer (a secret `.paved.yml` never records) is
 * left out: rendering it with a stand-in value would produce a file, or a path, the team never had.
 */
export function renderTemplate(
  version: TemplateVersion,
  answers: Answers,
  meta: RenderMeta,
  unknown: ReadonlySet<string> = NONE,
): RenderResult {
  const p = prepare(version);
  const scope = withUnknownAnswers(answers, unknown);
  const context = withUnknownAnswers({ ...answers, paved: pavedScope(meta) }, unknown);
  const tree: FileTree = new Map();
  const managed = new Set<string>();
  const origins = new Map<string, string>();
  const manifestFile = versionFile(version, "template.yaml");

  for (const [sourcePath, entry] of version.files) {
    let shownPath: string | undefined;
    const shown: Shown = () => (shownPath ??= versionFile(version, `files/${sourcePath}`));
    try {
      renderFile(sourcePath, entry, shown);
    } catch (error) {
      if (!readsUnknown(error)) throw error;
    }
  }
  assertRenderedSymlinks(tree, (target) => {
    const origin = origins.get(target);
    if (origin === undefined) throw new Error(`bug: ${target} was rendered from no template file`);
    return versionFile(version, `files/${origin}`);
  });
  return { tree, managed, origins };

  function renderFile(sourcePath: string, entry: FileEntry, shown: Shown): void {
    let include = true;
    for (const rule of p.conditions) {
      if (!rule.match(sourcePath)) continue;
      try {
        if (!evaluateCondition(rule.when, scope)) include = false;
      } catch (error) {
        if (error instanceof UnknownAnswerRead) throw error;
        const detail = error instanceof ExpressionError ? error.message : String(error);
        throw new UserError(`files.when["${rule.glob}"]: ${detail}`, {
          hint: "a condition may only use the template's question names",
          fields: { file: manifestFile },
        });
      }
      if (!include) break;
    }
    if (!include) return;

    const target = renderPath(p, sourcePath, context, shown);
    if (target === undefined) return;
    if (unsafePathReason(target) !== undefined) assertSafeRelativePath(target, shown());
    if (tree.has(target)) {
      throw new UserError(`renders to ${target}, which another template file also renders to`, {
        code: "template-collision",
        fields: { file: shown() },
        hint: "make the file names differ for every set of answers",
      });
    }

    let out: FileEntry;
    const facts = entry.symlink === undefined && !p.copy(sourcePath) ? factsOf(sourcePath, entry) : undefined;
    const source = facts?.source;
    if (facts === undefined || source === undefined) {
      out = entry; // a symlink (checked against the whole rendered tree below), a `copy` file, or verbatim bytes
    } else {
      let text: string;
      try {
        text = compiled(p, `file:${sourcePath}`, source, shown)(context);
      } catch (error) {
        throw error instanceof UserError ? error : renderError(shown(), error, source);
      }
      out = { data: outputBytes(facts, text), mode: entry.mode };
    }
    tree.set(target, out);
    origins.set(target, sourcePath);
    if (p.managed(sourcePath) || p.managed(target)) managed.add(target);
  }
}

/** Handlebars may wrap what a helper or getter throws; look through `cause` too. */
function readsUnknown(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) if (e instanceof UnknownAnswerRead) return true;
  return false;
}

/**
 * A rendered tree's symlinks, resolved against the tree itself hop by hop (templated folders move them), stay
 * inside it and out of .git; and no file renders beneath one, since paved never writes through a symlink.
 */
function assertRenderedSymlinks(tree: FileTree, shownOf: (target: string) => string): void {
  const links = new Map<string, string>();
  for (const [target, entry] of tree) if (entry.symlink !== undefined) links.set(target, entry.symlink);
  if (links.size === 0) return;
  for (const [link, pointsTo] of links) {
    const problem = symlinkProblem(tree, link);
    if (problem) {
      throw new UserError(`symlink to ${JSON.stringify(pointsTo)} ${describeSymlinkProblem(problem, "target")}`, {
        code: "unsafe-path",
        fields: { file: shownOf(link) },
        hint: "template symlinks must point inside the tree and never into .git",
      });
    }
  }
  for (const target of tree.keys()) {
    const segments = target.split("/");
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join("/");
      if (links.has(folder)) {
        throw new UserError(`renders to ${target}, inside the symlink ${folder}; paved never writes through a symlink`, {
          code: "unsafe-path",
          fields: { file: shownOf(target) },
          hint: "make the file's folder differ from every symlink's name for every set of answers",
        });
      }
    }
  }
}
