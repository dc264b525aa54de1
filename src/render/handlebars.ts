import type Handlebars from "handlebars";
import { requireDependency } from "../package-root.js";
import { camel, kebab, pascal, snake } from "./case.js";
import { toJsonLiteral, toShellWord, toYamlScalar } from "./escape.js";
import { prepareFastTemplate, type FastTemplate } from "./handlebars-subset/fast-template.js";
import { assertTemplateNesting } from "./handlebars-subset/template-parser.js";

type HelperOptions = Handlebars.HelperOptions;

/** Helpers take the options object last; drop it to get the real arguments. */
function args(list: unknown[]): unknown[] {
  return list.slice(0, -1);
}

function text(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

/** paved's helpers as plain functions: registered with Handlebars, and called directly by ./handlebars-subset/fast-template.ts. */
export const HELPERS: Readonly<Record<string, (...list: never[]) => unknown>> = {
  kebab: (v: unknown) => kebab(text(v)),
  camel: (v: unknown) => camel(text(v)),
  pascal: (v: unknown) => pascal(text(v)),
  snake: (v: unknown) => snake(text(v)),
  upper: (v: unknown) => text(v).toUpperCase(),
  lower: (v: unknown) => text(v).toLowerCase(),
  yaml: (v: unknown) => toYamlScalar(v),
  json: (v: unknown) => toJsonLiteral(v),
  shell: (v: unknown) => toShellWord(v),
  eq: (a: unknown, b: unknown) => a === b || (a != null && b != null && String(a) === String(b)),
  ne: (a: unknown, b: unknown) => !(a === b || (a != null && b != null && String(a) === String(b))),
  not: (v: unknown) => !v || (Array.isArray(v) && v.length === 0),
  and: (...list: unknown[]) => args(list).every(Boolean),
  or: (...list: unknown[]) => args(list).some(Boolean),
  includes: (list: unknown, item: unknown) => Array.isArray(list) && list.includes(item),
  gt: (a: unknown, b: unknown) => Number(a) > Number(b),
  lt: (a: unknown, b: unknown) => Number(a) < Number(b),
  /** {{pick tier 3 2 2}}: the n-th (1-based) value after the index; for tiered settings. */
  pick: (index: unknown, ...rest: unknown[]) => {
    const values = args(rest);
    const i = Number(index) - 1;
    return values[Math.min(Math.max(i, 0), values.length - 1)];
  },
  /** {{choose paved.path "a" "b"}}: the second value when the first is truthy as {{#if}} sees it, else the third. For file names, which cannot hold the "/" of {{/if}}. */
  choose: (cond: unknown, whenTrue: unknown, whenFalse: unknown) =>
    cond && !(Array.isArray(cond) && cond.length === 0) ? whenTrue : whenFalse,
  /** {{#each items}}{{#unless @last}}, {{/unless}}{{/each}} is clumsy; join is not. */
  join: (list: unknown, sep: unknown, options?: HelperOptions) =>
    Array.isArray(list) ? list.map(text).join(options === undefined ? ", " : text(sep)) : text(list),
};

let instance: typeof Handlebars | undefined;

export const LOG_REFUSED = "{{log}} is not available in paved templates (it would write into paved's own output)";

/**
 * One isolated Handlebars environment with paved's helpers; prototype access stays blocked (the default).
 * Loaded on first use only: most templates never need Handlebars itself (see compileTemplate), and not
 * bundling it spares every command compiling its code at start-up.
 */
export function handlebars(): typeof Handlebars {
  if (instance) return instance;
  const hb = requireDependency<typeof Handlebars>("handlebars").create();
  hb.registerHelper(HELPERS as Record<string, Handlebars.HelperDelegate>);
  // Handlebars' {{log}} writes to paved's stdout: it would corrupt --json and SARIF, and in CI forge workflow
  // commands (`::error`). The fast path never runs it (./handlebars-subset/fast-template.ts leaves `log` to Handlebars).
  hb.registerHelper("log", () => {
    throw new Error(LOG_REFUSED);
  });
  // The parser says where a syntax error is only in words unless asked: keep its position as data.
  const parser = (hb as unknown as { Parser: { parseError: (message: string, hash: ParseErrorHash) => never } }).Parser;
  parser.parseError = (message, hash) => {
    throw new TemplateSyntaxError(message, hash.loc?.first_line ?? (hash.line ?? 0) + 1);
  };
  instance = hb;
  return hb;
}

interface ParseErrorHash {
  line?: number;
  loc?: { first_line?: number };
}

/** Handlebars could not parse a template; `line` is 1-based. The message is Handlebars' own. */
export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = "Error";
  }
}

export type CompiledTemplate = (context: unknown) => string;

const OPTIONS = { noEscape: true, strict: true } as const;

/**
 * Compile a template as Handlebars would (strict, no HTML escaping). Rendering takes the fast path where it
 * can (./handlebars-subset/fast-template.ts) and real Handlebars everywhere else, with the same output and errors.
 */
export function compileTemplate(source: string): CompiledTemplate {
  // Handlebars' compile checks its input at once (and parses on first use): keep that check.
  if (typeof source !== "string") handlebars().compile(source, OPTIONS);
  let template = compiledByText.get(source);
  if (!template) {
    template = compileText(source);
    compiledByText.set(source, template);
  }
  return template;
}

/**
 * Compiled templates by their text, for the whole process: most files are the same text in every version, so an
 * upgrade (which renders two or three versions) or a fleet run parses each text once. A compiled template is a
 * pure function of its text (the helpers never change), so sharing it cannot change any output or error; texts
 * that fail to compile are not kept and fail the same way again.
 */
const compiledByText = new Map<string, CompiledTemplate>();

function compileText(source: string): CompiledTemplate {
  assertTemplateNesting(source);
  let fast: FastTemplate | undefined | null;
  let slow: HandlebarsTemplateDelegate | undefined;
  return (context) => {
    if (fast === undefined) fast = prepareFastTemplate(HELPERS, source) ?? null;
    if (fast) {
      const output = fast(context);
      if (output !== undefined) return output;
    }
    slow ??= handlebars().compile(source, OPTIONS);
    return slow(context);
  };
}

/** A template read a name that is not in its context (strict mode): which name, on which line. */
export class UnknownTemplateVariable extends Error {
  constructor(
    readonly variable: string,
    readonly line: number,
  ) {
    super(`{{${variable}}} is not defined`);
    this.name = "UnknownTemplateVariable";
  }
}

interface HandlebarsLocated {
  lineNumber?: unknown;
  endLineNumber?: unknown;
  column?: unknown;
  endColumn?: unknown;
}

/**
 * Handlebars' strict lookup fails with the location of the path it could not resolve (and says the name only in
 * words): the name is the template's own text at that location, e.g. `owner` or `service.port`.
 */
export function unknownVariableOf(source: string, error: unknown): UnknownTemplateVariable | undefined {
  const at = error as HandlebarsLocated | null;
  if (
    !at ||
    typeof at.lineNumber !== "number" ||
    at.endLineNumber !== at.lineNumber ||
    typeof at.column !== "number" ||
    typeof at.endColumn !== "number"
  )
    return undefined;
  const text = source.split("\n")[at.lineNumber - 1]?.slice(at.column, at.endColumn);
  return text && /^[A-Za-z_][\w.-]*$/.test(text) ? new UnknownTemplateVariable(text, at.lineNumber) : undefined;
}

/** Real Handlebars only: what the fast path is checked against. */
export function compileWithHandlebars(source: string): CompiledTemplate {
  assertTemplateNesting(source);
  const template = handlebars().compile(source, OPTIONS);
  return (context) => template(context);
}
