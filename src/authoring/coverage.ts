/**
 * Branch coverage of a template by its examples: which `{{#if}}`/`{{#unless}}` bodies and `{{else}}` branches,
 * which `files.when` outcomes and which question choices no example reaches. Conditions are evaluated in an
 * own walk of the Handlebars tree with each example's answers (with paved's helpers and Handlebars' truthiness),
 * so Handlebars itself is not instrumented and render stays untouched.
 */
import picomatch from "picomatch";
import { resolveAnswers, type Answers, type RenderMeta } from "../answers/answers.js";
import { evaluateCondition } from "../answers/expression.js";
import { CLI_PINS } from "../config.js";
import { handlebars, HELPERS } from "../render/handlebars.js";
import { splitTemplatePath } from "../render/render.js";
import { assertTemplateNesting } from "../render/handlebars-subset/template-parser.js";
import type { Manifest } from "../templates/manifest.js";
import { isBinary, isUtf8, type FileTree } from "../tree.js";
import { answerSets, type AnswerSet } from "./lint.js";
import type { Node, PathNode } from "./static-refs.js";

export type BranchKind = "if" | "unless" | "else" | "when-true" | "when-false" | "choice";

export interface Branch {
  kind: BranchKind;
  /** `files/README.md`, or `template.yaml` for files.when rules and choices. */
  file: string;
  line?: number;
  column?: number;
  /** What the branch is: `{{#if queue}}`, `files.when["queue/**"] true`, `database: mysql`. */
  label: string;
  /** Answer sets that reached it. */
  exercisedBy: string[];
}

export interface CoverageReport {
  /** The answer sets evaluated (the examples, or the defaults when there are none). */
  sets: string[];
  branches: Branch[];
  covered: number;
  total: number;
  /** 100 when there is nothing to cover. */
  percent: number;
}

interface Frame {
  context: unknown;
  blockParams: Map<string, unknown>;
  data: Record<string, unknown>;
  parent?: Frame;
}

/** Handlebars' `if`: false, null, undefined, "", 0 and [] are empty. */
function handlebarsTruthy(value: unknown): boolean {
  return !(!value || (Array.isArray(value) && value.length === 0));
}

/** The answer sets `paved template test` runs: the examples when there are any, else the defaults. */
export function coverageSets(manifest: Manifest): AnswerSet[] {
  return answerSets(manifest).sets.filter((s) => manifest.examples.length === 0 || s.example !== undefined);
}

export async function templateCoverage(
  manifest: Manifest,
  files: FileTree,
  manifestLineOf: (p: ReadonlyArray<string | number>) => number | undefined,
): Promise<CoverageReport> {
  const branches = new Map<string, Branch>();
  const branchAt = (key: string, make: () => Omit<Branch, "exercisedBy">): Branch => {
    let b = branches.get(key);
    if (!b) {
      b = { ...make(), exercisedBy: [] };
      branches.set(key, b);
    }
    return b;
  };
  const hit = (b: Branch, set: string) => {
    if (!b.exercisedBy.includes(set)) b.exercisedBy.push(set);
  };
  const copied = manifest.files.copy.length ? picomatch(manifest.files.copy, { dot: true }) : () => false;
  const whenRules = Object.entries(manifest.files.when).map(([glob, when]) => ({ glob, when, match: picomatch(glob, { dot: true }) }));
  const texts = new Map<string, Node | undefined>();
  const parsed = (key: string, source: string): Node | undefined => {
    if (!texts.has(key)) {
      try {
        assertTemplateNesting(source);
        texts.set(key, handlebars().parse(source) as unknown as Node);
      } catch {
        texts.set(key, undefined); // lint reports the syntax error
      }
    }
    return texts.get(key);
  };

  // Every branch exists whether or not an example reaches it: register them all first.
  for (const [sourcePath, entry] of files) {
    for (const { key, source } of templateTexts(sourcePath, entry, copied)) {
      const program = parsed(key, source);
      if (program) registerBlocks(program, `files/${sourcePath}`, branchAt);
    }
  }
  for (const rule of whenRules) {
    if (typeof rule.when === "boolean") continue;
    const line = manifestLineOf(["files", "when", rule.glob]);
    for (const outcome of [true, false]) {
      branchAt(`when|${rule.glob}|${outcome}`, () => ({
        kind: outcome ? "when-true" : "when-false",
        file: "template.yaml",
        ...(line ? { line } : {}),
        label: `files.when[${JSON.stringify(rule.glob)}] ${outcome}`,
      }));
    }
  }
  manifest.questions.forEach((q, i) => {
    if (q.type !== "select" && q.type !== "multiselect") return;
    const line = manifestLineOf(["questions", i, "choices"]);
    for (const choice of q.choices ?? []) {
      const value = typeof choice === "object" ? choice.value : choice;
      branchAt(`choice|${q.name}|${String(value)}`, () => ({
        kind: "choice",
        file: "template.yaml",
        ...(line ? { line } : {}),
        label: `${q.name}: ${String(value)}`,
      }));
    }
  });

  const sets = coverageSets(manifest);
  const evaluated: string[] = [];
  for (const set of sets) {
    let answers: Answers;
    try {
      answers = (
        await resolveAnswers({ questions: manifest.questions, provided: set.provided, meta: set.meta, manifestFile: "template.yaml" })
      ).answers;
    } catch {
      continue; // lint reports answers that do not resolve
    }
    evaluated.push(set.name);
    for (const q of manifest.questions) {
      const answer = answers[q.name];
      for (const value of Array.isArray(answer) ? answer : [answer]) {
        const b = branches.get(`choice|${q.name}|${String(value)}`);
        if (b) hit(b, set.name);
      }
    }
    // `paved.cliPin` is the org's choice (config `cli`), which no example can make: both pins are walked.
    const contexts = CLI_PINS.map((cliPin) => ({ ...answers, paved: { ...set.meta, cliPin } satisfies RenderMeta }));
    for (const [sourcePath, entry] of files) {
      let included = true;
      for (const rule of whenRules) {
        if (!rule.match(sourcePath)) continue;
        let holds: boolean;
        try {
          holds = evaluateCondition(rule.when, answers);
        } catch {
          holds = false;
        }
        const b = branches.get(`when|${rule.glob}|${holds}`);
        if (b) hit(b, set.name);
        if (!holds) included = false;
      }
      if (!included) continue;
      for (const { key } of templateTexts(sourcePath, entry, copied)) {
        const program = texts.get(key);
        if (!program) continue;
        for (const context of contexts)
          walk(
            program,
            { context, blockParams: new Map(), data: { root: context } },
            `files/${sourcePath}`,
            (b) => hit(b, set.name),
            branches,
          );
      }
    }
  }
  const list = [...branches.values()];
  const covered = list.filter((b) => b.exercisedBy.length > 0).length;
  return {
    sets: evaluated,
    branches: list,
    covered,
    total: list.length,
    percent: list.length === 0 ? 100 : Math.floor((covered / list.length) * 1000) / 10,
  };
}

function templateTexts(
  sourcePath: string,
  entry: FileTree extends Map<string, infer E> ? E : never,
  copied: (p: string) => boolean,
): Array<{ key: string; source: string }> {
  const out: Array<{ key: string; source: string }> = [];
  splitTemplatePath(sourcePath).forEach((segment, i) => {
    if (segment.includes("{{")) out.push({ key: `path:${sourcePath}:${i}`, source: segment });
  });
  if (entry.symlink === undefined && !copied(sourcePath) && !isBinary(entry.data) && isUtf8(entry.data)) {
    const source = Buffer.from(entry.data).toString("utf8");
    if (source.includes("{{")) out.push({ key: `file:${sourcePath}`, source });
  }
  return out;
}

function blockKey(file: string, node: Node, part: "body" | "else"): string {
  const at = node.loc?.start ?? { line: 0, column: 0 };
  return `${file}|${at.line}|${at.column}|${part}`;
}

function conditionalName(node: Node): "if" | "unless" | undefined {
  const path = node.path as PathNode;
  return path.type === "PathExpression" && (path.original === "if" || path.original === "unless") ? path.original : undefined;
}

function registerBlocks(program: Node, file: string, branchAt: (key: string, make: () => Omit<Branch, "exercisedBy">) => Branch): void {
  for (const node of (program.body as Node[] | undefined) ?? []) {
    if (node.type !== "BlockStatement") continue;
    const kind = conditionalName(node);
    const at = node.loc?.start;
    const position = at ? { line: at.line, column: at.column + 1 } : {};
    const params = ((node.params as Node[] | undefined) ?? []).map(shownExpression).join(" ");
    if (kind) {
      branchAt(blockKey(file, node, "body"), () => ({ kind, file, ...position, label: `{{#${kind} ${params}}}` }));
      if (node.inverse)
        branchAt(blockKey(file, node, "else"), () => ({ kind: "else", file, ...position, label: `{{else}} of {{#${kind} ${params}}}` }));
    }
    if (node.program) registerBlocks(node.program as Node, file, branchAt);
    if (node.inverse) registerBlocks(node.inverse as Node, file, branchAt);
  }
}

function shownExpression(node: Node): string {
  if (node.type === "PathExpression") return (node as PathNode).original;
  if (node.type === "SubExpression")
    return `(${[shownExpression(node.path as Node), ...((node.params as Node[] | undefined) ?? []).map(shownExpression)].join(" ")})`;
  if (node.type === "StringLiteral") return JSON.stringify(node.value);
  return String(node.value);
}

/** Walk what a render with these values would take, marking each conditional branch it enters. */
function walk(program: Node, frame: Frame, file: string, hit: (b: Branch) => void, branches: ReadonlyMap<string, Branch>): void {
  for (const node of (program.body as Node[] | undefined) ?? []) {
    if (node.type !== "BlockStatement") continue;
    const path = node.path as PathNode;
    const params = (node.params as Node[] | undefined) ?? [];
    const body = node.program as Node | undefined;
    const inverse = node.inverse as Node | undefined;
    const kind = conditionalName(node);
    const value = params[0] ? evaluateNode(params[0], frame) : kind ? undefined : lookup(path, frame);
    if (kind) {
      const enter = handlebarsTruthy(value) === (kind === "if");
      const branch = branches.get(blockKey(file, node, enter ? "body" : "else"));
      if (branch) hit(branch);
      const next = enter ? body : inverse;
      if (next) walk(next, frame, file, hit, branches);
    } else if (path.original === "each" || (params.length === 0 && Array.isArray(value))) {
      const items = Array.isArray(value)
        ? value.map((v, i) => [i, v] as const)
        : value && typeof value === "object"
          ? Object.entries(value)
          : [];
      const names = (body?.blockParams as string[] | undefined) ?? [];
      items.forEach(([key, item], i) => {
        const blockParams = new Map<string, unknown>();
        if (names[0]) blockParams.set(names[0], item);
        if (names[1]) blockParams.set(names[1], key);
        const data = { ...frame.data, index: i, key, first: i === 0, last: i === items.length - 1 };
        if (body) walk(body, { context: item, blockParams, data, parent: frame }, file, hit, branches);
      });
      if (items.length === 0 && inverse) walk(inverse, frame, file, hit, branches);
    } else if (path.original === "with") {
      const names = (body?.blockParams as string[] | undefined) ?? [];
      if (handlebarsTruthy(value) && body)
        walk(
          body,
          { context: value, blockParams: new Map(names[0] ? [[names[0], value]] : []), data: frame.data, parent: frame },
          file,
          hit,
          branches,
        );
      else if (inverse) walk(inverse, frame, file, hit, branches);
    } else {
      if (body) walk(body, frame, file, hit, branches);
      if (inverse) walk(inverse, frame, file, hit, branches);
    }
  }
}

function lookup(path: PathNode, frame: Frame): unknown {
  if (path.data) {
    const [head, ...rest] = path.parts;
    return rest.reduce<unknown>(
      (v, p) => (v && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined),
      frame.data[head ?? ""],
    );
  }
  let f: Frame | undefined = frame;
  for (let i = 0; i < path.depth; i++) f = f?.parent;
  if (!f) return undefined;
  const [head] = path.parts;
  let value: unknown = f.context;
  let parts = path.parts;
  if (path.depth === 0 && head !== undefined && !/^(this|\.)/.test(path.original)) {
    for (let s: Frame | undefined = frame; s; s = s.parent) {
      if (s.blockParams.has(head)) {
        value = s.blockParams.get(head);
        parts = parts.slice(1);
        break;
      }
    }
  }
  for (const part of parts)
    value =
      value !== null && typeof value === "object" && Object.prototype.hasOwnProperty.call(value, part)
        ? (value as Record<string, unknown>)[part]
        : undefined;
  return value;
}

function evaluateNode(node: Node, frame: Frame): unknown {
  switch (node.type) {
    case "PathExpression":
      return lookup(node as PathNode, frame);
    case "SubExpression": {
      const name = (node.path as PathNode).original;
      const helper = Object.prototype.hasOwnProperty.call(HELPERS, name) ? (HELPERS[name] as (...list: unknown[]) => unknown) : undefined;
      const args = ((node.params as Node[] | undefined) ?? []).map((p) => evaluateNode(p, frame));
      // paved's helpers take Handlebars' options object last; a stand-in keeps their argument counting right.
      return helper ? helper(...args, { hash: {} }) : undefined;
    }
    case "UndefinedLiteral":
      return undefined;
    case "NullLiteral":
      return null;
    default:
      return node.value;
  }
}

/** Coverage of the template directory an author works on. */
export async function coverageOfTemplateDir(dir: string): Promise<CoverageReport> {
  const { parseTemplateManifest, readTemplateDir } = await import("./template-dir.js");
  const template = await readTemplateDir(dir);
  return templateCoverage(parseTemplateManifest(template), template.files, template.lineOf);
}
