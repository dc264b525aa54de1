/**
 * Every name a Handlebars template reads, checked without rendering: variables against the answers and
 * {{paved.*}} in scope (`#each`/`#with` change the context, `as |x|` adds block params, `../` climbs), and
 * helpers against the registered ones. Rendering only sees the branches one set of answers takes; this
 * walks all of them.
 */
import type { Question } from "../templates/manifest.js";
import { handlebars, HELPERS, TemplateSyntaxError } from "../render/handlebars.js";
import { assertTemplateNesting, TemplateTooDeep } from "../render/handlebars-subset/template-parser.js";
import type { RenderMeta } from "../answers/answers.js";

/** What a value in scope is known to hold: an object with known keys, a list, a scalar, or anything. */
export type Shape =
  | { kind: "object"; keys: ReadonlyMap<string, Shape> }
  | { kind: "list"; item: Shape }
  | { kind: "scalar" }
  | { kind: "any" };

const SCALAR: Shape = { kind: "scalar" };
const ANY: Shape = { kind: "any" };

/** `{{paved.*}}`: the keys of RenderMeta (src/answers/answers.ts; `cli*` from src/config.ts). */
export const PAVED_META_KEYS = [
  "template",
  "version",
  "dirName",
  "path",
  "root",
  "cli",
  "cliPackage",
  "cliVersion",
  "cliPin",
] as const satisfies ReadonlyArray<keyof RenderMeta>;

/** The root context a template renders with: each question's answer and `paved`. */
export function rootShape(questions: readonly Pick<Question, "name" | "type">[]): Shape {
  const keys = new Map<string, Shape>();
  for (const q of questions) keys.set(q.name, q.type === "multiselect" ? { kind: "list", item: SCALAR } : SCALAR);
  keys.set("paved", { kind: "object", keys: new Map(PAVED_META_KEYS.map((k) => [k, SCALAR])) });
  return { kind: "object", keys };
}

export type RefProblem = "undefined-variable" | "unknown-helper" | "log-refused" | "unsupported" | "syntax";

export interface RefFinding {
  problem: RefProblem;
  /** 1-based, in the text checked. */
  line: number;
  column: number;
  message: string;
}

/** Handlebars' own block helpers, and paved's. `log` is registered only to refuse it. */
const BUILTIN_HELPERS = new Set(["if", "unless", "each", "with", "lookup"]);
const EACH_DATA = new Set(["index", "key", "first", "last"]);

interface Position {
  line: number;
  column: number;
}
/** A node of Handlebars' syntax tree, as far as paved reads it. */
export interface Node {
  type: string;
  loc?: { start: Position };
  [key: string]: unknown;
}
export interface PathNode extends Node {
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
}

/** A context frame (what `this` is) and the block params visible from it. */
interface Scope {
  context: Shape;
  blockParams: ReadonlyMap<string, Shape>;
  /** Inside an `#each`: @index, @key, @first and @last exist. */
  inEach: boolean;
  /** The enclosing frame `../` reaches; undefined at the root. */
  parent?: Scope;
}

export function isKnownHelper(name: string): boolean {
  return BUILTIN_HELPERS.has(name) || Object.prototype.hasOwnProperty.call(HELPERS, name);
}

/** Check one template text. A syntax error is one finding (Handlebars' own position when it gives one). */
export function checkTemplateRefs(source: string, root: Shape): RefFinding[] {
  let program: Node;
  try {
    // The same nesting cap render applies, before Handlebars' parser and this walk recurse.
    assertTemplateNesting(source);
    program = handlebars().parse(source) as unknown as Node;
  } catch (error) {
    if (error instanceof TemplateTooDeep) return [{ problem: "syntax", line: 1, column: 1, message: error.message }];
    const message = error instanceof Error ? error.message : String(error);
    return [
      {
        problem: "syntax",
        line: error instanceof TemplateSyntaxError ? error.line : 1,
        column: 1,
        message: message.split("\n")[0] ?? message,
      },
    ];
  }
  const findings: RefFinding[] = [];
  const report = (node: Node, problem: RefProblem, message: string) => {
    const start = node.loc?.start ?? { line: 1, column: 0 };
    findings.push({ problem, line: start.line, column: start.column + 1, message });
  };

  function lookup(path: PathNode, scope: Scope): Shape | undefined {
    if (path.data) {
      const [head, ...rest] = path.parts;
      if (head === "root") return resolveParts(path, rootOf(scope).context, rest);
      if (head !== undefined && EACH_DATA.has(head) && rest.length === 0) {
        if (scope.inEach) return SCALAR;
        report(path, "undefined-variable", `{{${path.original}}} is only defined inside {{#each}}`);
        return undefined;
      }
      report(
        path,
        "undefined-variable",
        `{{${path.original}}} is not defined (paved sets @index, @key, @first, @last in {{#each}} and @root)`,
      );
      return undefined;
    }
    let frame: Scope | undefined = scope;
    for (let i = 0; i < path.depth; i++) frame = frame?.parent;
    if (!frame) {
      report(path, "undefined-variable", `{{${path.original}}} climbs above the template's root context`);
      return undefined;
    }
    const explicitThis = /^(this|\.)(\/|\.|$)/.test(path.original);
    const [head] = path.parts;
    if (!explicitThis && path.depth === 0 && head !== undefined) {
      // Block params are visible from nested frames too (Handlebars looks them up by name, not by depth).
      for (let s: Scope | undefined = scope; s; s = s.parent) {
        const param = s.blockParams.get(head);
        if (param) return resolveParts(path, param, path.parts.slice(1));
      }
    }
    return resolveParts(path, frame.context, path.parts);
  }

  function resolveParts(path: PathNode, start: Shape, parts: readonly string[]): Shape | undefined {
    let shape = start;
    for (const part of parts) {
      if (shape.kind === "any") return ANY;
      if (shape.kind === "list") return part === "length" ? SCALAR : ANY;
      // A single answer has no named properties: strict rendering refuses {{x.y}} on a string or number.
      const next = shape.kind === "object" ? shape.keys.get(part) : undefined;
      if (!next) {
        report(path, "undefined-variable", `{{${path.original}}} is not defined`);
        return undefined;
      }
      shape = next;
    }
    return shape;
  }

  function checkHelper(path: PathNode): void {
    const name = path.original;
    if (name === "log") report(path, "log-refused", "{{log}} is not available in paved templates (it would write into paved's own output)");
    else if (path.data || path.depth > 0 || path.parts.length !== 1 || !isKnownHelper(name)) {
      report(path, "unknown-helper", `"${name}" is not a helper (helpers: ${[...BUILTIN_HELPERS, ...Object.keys(HELPERS)].join(", ")})`);
    }
  }

  function expression(node: Node, scope: Scope): Shape | undefined {
    switch (node.type) {
      case "PathExpression":
        return lookup(node as PathNode, scope);
      case "SubExpression":
        call(node, scope);
        return ANY;
      default:
        return SCALAR; // literals
    }
  }

  /** A mustache, block or sub-expression: with params or a hash its path is a helper; alone, a helper or a variable. */
  function call(node: Node, scope: Scope): Shape | undefined {
    const path = node.path as Node;
    const params = (node.params as Node[] | undefined) ?? [];
    const pairs = ((node.hash as { pairs?: Array<{ value: Node }> } | undefined)?.pairs ?? []).map((p) => p.value);
    for (const param of [...params, ...pairs]) expression(param, scope);
    if (path.type !== "PathExpression") return SCALAR; // {{"literal"}}
    const p = path as PathNode;
    const simple = !p.data && p.depth === 0 && p.parts.length === 1 && !/^(this|\.)/.test(p.original);
    if (params.length > 0 || pairs.length > 0 || node.type === "SubExpression") {
      checkHelper(p);
      return ANY;
    }
    if (simple && (isKnownHelper(p.original) || p.original === "log")) {
      if (p.original === "log") checkHelper(p);
      return ANY;
    }
    return lookup(p, scope);
  }

  function block(node: Node, scope: Scope): void {
    const path = node.path as PathNode;
    const params = (node.params as Node[] | undefined) ?? [];
    const program = node.program as Node | undefined;
    const inverse = node.inverse as Node | undefined;
    const names = (program?.blockParams as string[] | undefined) ?? [];
    const helper = path.type === "PathExpression" && !path.data && path.depth === 0 && path.parts.length === 1 ? path.original : undefined;
    let inner: Scope = scope;
    if (helper === "each" || helper === "with") {
      const value = params[0] ? (expression(params[0], scope) ?? ANY) : ANY;
      const context = helper === "each" ? (value.kind === "list" ? value.item : ANY) : value;
      const blockParams = new Map<string, Shape>();
      if (names[0]) blockParams.set(names[0], context);
      if (names[1]) blockParams.set(names[1], SCALAR);
      inner = { context, blockParams, inEach: helper === "each", parent: scope };
      for (const pair of (node.hash as { pairs?: Array<{ value: Node }> } | undefined)?.pairs ?? []) expression(pair.value, scope);
    } else if (params.length > 0 || (node.hash as { pairs?: unknown[] } | undefined)?.pairs?.length) {
      call(node, scope); // {{#if x}}, {{#unless x}}, a paved helper used as a block: same context
    } else {
      // {{#name}}...{{/name}}: a section over an answer; a list iterates like #each.
      const value = call(node, scope);
      if (value?.kind === "list") inner = { context: value.item, blockParams: new Map(), inEach: true, parent: scope };
    }
    if (program) statements(program, inner);
    if (inverse) statements(inverse, scope);
  }

  function statements(program: Node, scope: Scope): void {
    for (const node of (program.body as Node[] | undefined) ?? []) {
      switch (node.type) {
        case "MustacheStatement":
          call(node, scope);
          break;
        case "BlockStatement":
          block(node, scope);
          break;
        case "PartialStatement":
        case "PartialBlockStatement":
          report(node, "unsupported", "partials ({{> name}}) are not available in paved templates");
          break;
        case "DecoratorBlock":
        case "Decorator":
          report(node, "unsupported", "decorators ({{* name}}) are not available in paved templates");
          break;
        default:
          break; // content, comments
      }
    }
  }

  statements(program, { context: root, blockParams: new Map(), inEach: false });
  return findings;
}

function rootOf(scope: Scope): Scope {
  let s = scope;
  while (s.parent) s = s.parent;
  return s;
}
