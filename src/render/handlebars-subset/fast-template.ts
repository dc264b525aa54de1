/**
 * A fast path for the Handlebars templates paved renders most: text, `{{name}}`, `{{a.b}}`, helper calls with
 * plain arguments and sub-expressions, and `{{#if}}` / `{{#unless}}` with `{{else}}`. Handlebars compiles every
 * template to JavaScript and then to machine code (`new Function`), which costs far more than rendering a
 * template once, as paved does for each file. This walks the tree Handlebars' parser builds instead (built by
 * ./template-parser.ts, with Handlebars' whitespace rules for standalone lines and `~`, ported in
 * ./whitespace-control.ts), mirroring what the compiled code does in strict mode, including its `+` chain of
 * values. See ./README.md for what this folder follows and how it is checked.
 *
 * It only ever takes the happy path: anything it does not cover (each, with, partials, `this`, `@data`,
 * `../`, hash arguments, a missing name, a helper that throws, a function in the answers) makes it give up
 * and the caller runs real Handlebars, which then gives the very output or error it always gave.
 * test/unit/fast-template.test.ts compares both on generated templates and on every built-in template.
 */
import { parseTemplate } from "./template-parser.js";

interface Position {
  line: number;
  column: number;
}
interface Loc {
  start: Position;
  end: Position;
}
interface AstNode {
  type: string;
  loc: Loc;
}
interface PathNode extends AstNode {
  type: "PathExpression";
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
}
interface LiteralNode extends AstNode {
  value: unknown;
}
interface CallNode extends AstNode {
  path: AstNode;
  params: AstNode[];
  hash?: { pairs: unknown[] };
}
interface BlockNode extends CallNode {
  program: ProgramNode;
  inverse?: ProgramNode;
}
interface ProgramNode extends AstNode {
  body: AstNode[];
  blockParams?: string[];
}

/** Thrown (one shared instance, no stack) to leave the fast path. */
const GIVE_UP = Object.freeze({ giveUp: true });

type Exec = (context: Record<string, unknown>, data: unknown) => unknown;

/**
 * Helpers Handlebars itself treats specially (knownHelpers): always left to real Handlebars, bar #if/#unless blocks.
 * That includes `log`, which paved's Handlebars environment refuses (../handlebars.ts): never run it here.
 */
const BUILTIN_HELPERS = new Set(["helperMissing", "blockHelperMissing", "each", "if", "unless", "with", "log", "lookup"]);

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);
const unsafeName = (name: string) => name in Object.prototype;

/** `foo` or `foo.bar`: no `this`, `./`, `../` or `@data`. */
function plainPath(node: AstNode): PathNode | undefined {
  if (node.type !== "PathExpression") return undefined;
  const path = node as PathNode;
  if (path.data || path.depth !== 0 || path.parts.length === 0 || /^\.|this\b/.test(path.original)) return undefined;
  if (path.parts.some(unsafeName)) return undefined;
  return path;
}

/** The name of a one-part path (`{{name}}`, `{{#if name}}`), which Handlebars may read as a helper. */
function singleName(path: PathNode): string | undefined {
  return path.parts.length === 1 ? path.parts[0] : undefined;
}

/** Handlebars' strict lookup of `a.b.c` in a mustache: the last name must exist. */
function strictPathValue(parts: readonly string[], context: Record<string, unknown>): unknown {
  let current: unknown = context;
  for (const part of parts) {
    if (current === null || typeof current !== "object" || !hasOwn(current, part)) throw GIVE_UP;
    current = (current as Record<string, unknown>)[part];
  }
  if (typeof current === "function") throw GIVE_UP;
  return current;
}

/** Handlebars' lookup of a helper argument `a.b`: a missing last name is undefined, a missing middle one an error. */
function paramPathValue(parts: readonly string[], context: Record<string, unknown>): unknown {
  let current: unknown = context;
  for (const part of parts) {
    if (current === null || typeof current !== "object") throw GIVE_UP;
    const value = (current as Record<string, unknown>)[part];
    if (value !== null && value !== undefined && !hasOwn(current, part)) throw GIVE_UP;
    current = value;
  }
  return current;
}

class Preparer {
  /** Every path the template reads from its context (all of them are from the root: no `../`, `this` or blocks that change it). */
  readonly reads: Array<readonly string[]> = [];

  constructor(private readonly helpers: Readonly<Record<string, unknown>>) {}

  program(node: ProgramNode | undefined): Exec | undefined {
    if (!node) return () => "";
    if (node.blockParams?.length) return undefined;
    const items: Array<string | Exec> = [];
    for (const statement of node.body) {
      switch (statement.type) {
        case "ContentStatement": {
          const value = (statement as LiteralNode).value as string;
          if (value) items.push(value);
          break;
        }
        case "CommentStatement":
          break;
        case "MustacheStatement": {
          const exec = this.mustache(statement as CallNode);
          if (!exec) return undefined;
          items.push(exec);
          break;
        }
        case "BlockStatement": {
          const exec = this.block(statement as BlockNode);
          if (!exec) return undefined;
          items.push(exec);
          break;
        }
        default:
          return undefined;
      }
    }
    return joinItems(items);
  }

  /** `{{name}}`, `{{a.b}}` or `{{helper args}}`; the value as appended (`null`/`undefined` become ""). */
  private mustache(node: CallNode): Exec | undefined {
    const value = node.params.length === 0 && !node.hash ? this.lookup(node) : this.helperCall(node);
    if (!value) return undefined;
    return (context, data) => {
      const result = value(context, data);
      return result !== null && result !== undefined ? result : "";
    };
  }

  private lookup(node: CallNode): Exec | undefined {
    const path = plainPath(node.path);
    if (!path) return undefined;
    // A single name could be a helper (Handlebars decides at run time); leave those to it.
    const name = singleName(path);
    if (name !== undefined && (BUILTIN_HELPERS.has(name) || hasOwn(this.helpers, name))) return undefined;
    const parts = path.parts;
    this.reads.push(parts);
    return (context) => strictPathValue(parts, context);
  }

  private helperCall(node: CallNode): Exec | undefined {
    // Without arguments a helper gets only Handlebars' options object, which json/yaml would print whole
    // (source locations included): rare, so left to Handlebars.
    if (node.hash || node.params.length === 0) return undefined;
    const path = plainPath(node.path);
    const name = path && singleName(path);
    if (name === undefined) return undefined;
    const helper = this.helpers[name];
    if (BUILTIN_HELPERS.has(name) || !hasOwn(this.helpers, name) || typeof helper !== "function") return undefined;
    const params: Exec[] = [];
    for (const param of node.params) {
      const exec = this.param(param);
      if (!exec) return undefined;
      params.push(exec);
    }
    const loc = node.loc;
    return (context, data) => {
      const args = params.map((param) => param(context, data));
      args.push({ name, hash: {}, data, loc });
      return (helper as (...a: unknown[]) => unknown).apply(context, args);
    };
  }

  private param(node: AstNode): Exec | undefined {
    switch (node.type) {
      case "StringLiteral":
      case "NumberLiteral":
      case "BooleanLiteral": {
        const value = (node as LiteralNode).value;
        return () => value;
      }
      case "UndefinedLiteral":
        return () => undefined;
      case "NullLiteral":
        return () => null;
      case "SubExpression":
        return this.helperCall(node as CallNode);
      case "PathExpression": {
        const path = plainPath(node);
        if (!path) return undefined;
        const parts = path.parts;
        this.reads.push(parts);
        return (context) => paramPathValue(parts, context);
      }
      default:
        return undefined;
    }
  }

  /** `{{#if x}}...{{else}}...{{/if}}` and `{{#unless x}}`, as Handlebars' own if/unless helpers do them. */
  private block(node: BlockNode): Exec | undefined {
    const path = plainPath(node.path);
    const name = path && singleName(path);
    const param = node.params.length === 1 ? node.params[0] : undefined;
    if (node.hash || param === undefined) return undefined;
    if (name !== "if" && name !== "unless") return undefined;
    const condition = this.param(param);
    const program = this.program(node.program);
    const inverse = this.program(node.inverse);
    if (!condition || !program || !inverse) return undefined;
    const [whenTrue, whenFalse] = name === "if" ? [program, inverse] : [inverse, program];
    return (context, data) => {
      const value = condition(context, data);
      if (typeof value === "function") throw GIVE_UP;
      const empty = !value || (Array.isArray(value) && value.length === 0);
      const result = empty ? whenFalse(context, data) : whenTrue(context, data);
      return result !== null && result !== undefined ? result : "";
    };
  }
}

/** The compiled code returns `item1 + item2 + ...` (numbers add up as in JavaScript), or "" when empty. */
function joinItems(items: Array<string | Exec>): Exec {
  if (items.length === 0) return () => "";
  return (context, data) => {
    let result: unknown = undefined;
    let first = true;
    for (const item of items) {
      const value = typeof item === "string" ? item : item(context, data);
      result = first ? value : (result as string) + (value as string);
      first = false;
    }
    return result;
  };
}

export type FastTemplate = (context: unknown) => string | undefined;

/**
 * Prepare the fast path for a template: a renderer that returns the output, or undefined where real
 * Handlebars must run; or undefined at once when the template uses what the fast path does not cover.
 * `helpers` must be pure functions of their arguments (paved's are): the renderer reuses its last output when
 * the values it reads are the same.
 */
export function prepareFastTemplate(helpers: Readonly<Record<string, unknown>>, source: string): FastTemplate | undefined {
  let ast: ProgramNode | undefined;
  try {
    ast = parseTemplate(source) as ProgramNode | undefined;
  } catch {
    return undefined;
  }
  if (!ast) return undefined;
  const preparer = new Preparer(helpers);
  const exec = preparer.program(ast);
  if (!exec) return undefined;
  const reads = preparer.reads;
  let last: { inputs: unknown[]; output: string } | undefined;
  return (context) => {
    if (context === null || typeof context !== "object" || Array.isArray(context)) return undefined;
    const inputs = inputsOf(reads, context as Record<string, unknown>);
    if (inputs !== undefined && last !== undefined && sameInputs(inputs, last.inputs)) return last.output;
    let output: string;
    try {
      output = "" + (exec(context as Record<string, unknown>, { root: context }) as string);
    } catch {
      return undefined;
    }
    if (inputs !== undefined) last = { inputs, output };
    return output;
  };
}

/** Stands for "a non-null object here" in a template's inputs: objects are walked into, never compared. */
const OBJECT = Object.freeze({ object: true });

/**
 * What a template's output depends on: along each path it reads, whether each step is an object and has the
 * next name as its own, and the plain value at the end. A template renders the same output from the same
 * inputs (paved's helpers are pure functions of their arguments), so upgrade, which renders the same text for
 * two or three versions whose answers mostly agree, renders it once. Undefined (not remembered) when a path
 * ends in an object or a function (which could change in place) or reading throws (an unknown answer).
 */
function inputsOf(reads: ReadonlyArray<readonly string[]>, context: Record<string, unknown>): unknown[] | undefined {
  const inputs: unknown[] = [];
  try {
    for (const parts of reads) {
      let current: unknown = context;
      for (const part of parts) {
        if (current === null || typeof current !== "object") break;
        inputs.push(OBJECT, hasOwn(current, part));
        current = (current as Record<string, unknown>)[part];
      }
      if (typeof current === "function" || (current !== null && typeof current === "object")) return undefined;
      inputs.push(current);
    }
  } catch {
    return undefined;
  }
  return inputs;
}

function sameInputs(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
