/**
 * The small expression language of `when` conditions:
 *   database == "postgres" && tier < 3
 *   !useQueue || "kafka" in features
 * Literals: strings ('..' or ".."), numbers, true, false, null, [lists].
 * Operators: ! not, == !=, < <= > >=, in, && and, || or, parentheses.
 * Names refer to answers; an unknown name is an error, so typos are caught at load time.
 */

export type Expr =
  | { kind: "literal"; value: unknown }
  | { kind: "name"; name: string }
  | { kind: "list"; items: Expr[] }
  | { kind: "not"; operand: Expr }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr };

type BinaryOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "&&" | "||";

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(message);
    this.name = "ExpressionError";
  }
}

type Token = { type: "str" | "num" | "ident" | "op"; value: string; pos: number };

const OPERATORS = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ","];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source.charAt(i);
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      let value = "";
      while (j < source.length && source[j] !== ch) {
        if (source[j] === "\\" && j + 1 < source.length) j++;
        value += source[j];
        j++;
      }
      if (j >= source.length) throw new ExpressionError(`unterminated string at ${i + 1}`, source);
      tokens.push({ type: "str", value, pos: i });
      i = j + 1;
      continue;
    }
    const num = /^-?\d+(?:\.\d+)?/.exec(source.slice(i));
    if (num && (ch !== "-" || tokens.at(-1)?.type === "op")) {
      tokens.push({ type: "num", value: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (ident) {
      tokens.push({ type: "ident", value: ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op) {
      tokens.push({ type: "op", value: op, pos: i });
      i += op.length;
      continue;
    }
    throw new ExpressionError(`unexpected "${ch}" at ${i + 1}`, source);
  }
  return tokens;
}

const BINARY_PRECEDENCE: Record<BinaryOp, number> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  in: 4,
};
/** A Map, not an object: an identifier such as `constructor` must not find a prototype member. */
const WORD_OPS = new Map<string, BinaryOp>([
  ["and", "&&"],
  ["or", "||"],
  ["in", "in"],
]);
const SYMBOL_OPS = new Set<string>(Object.keys(BINARY_PRECEDENCE).filter((op) => op !== "in"));

function isSymbolOp(value: string): value is BinaryOp {
  return SYMBOL_OPS.has(value);
}

export function parseExpression(source: string): Expr {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (what: string): never => {
    const tok = peek();
    throw new ExpressionError(tok ? `${what} at "${tok.value}" (column ${tok.pos + 1})` : `${what} at the end`, source);
  };
  const expectOp = (value: string) => {
    const tok = peek();
    if (!tok || tok.type !== "op" || tok.value !== value) fail(`expected "${value}"`);
    pos++;
  };

  function binaryOpOf(tok: Token | undefined): BinaryOp | undefined {
    if (!tok) return undefined;
    if (tok.type === "op") return isSymbolOp(tok.value) ? tok.value : undefined;
    if (tok.type === "ident") return WORD_OPS.get(tok.value);
    return undefined;
  }

  function parseBinary(minPrecedence: number): Expr {
    let left = parseUnary();
    for (;;) {
      const op = binaryOpOf(peek());
      if (!op) return left;
      const precedence = BINARY_PRECEDENCE[op];
      if (precedence < minPrecedence) return left;
      pos++;
      const right = parseBinary(precedence + 1);
      left = { kind: "binary", op, left, right };
    }
  }

  function parseUnary(): Expr {
    const tok = peek();
    if (tok && ((tok.type === "op" && tok.value === "!") || (tok.type === "ident" && tok.value === "not"))) {
      pos++;
      return { kind: "not", operand: parseUnary() };
    }
    return parsePrimary();
  }

  function parsePrimary(): Expr {
    const tok = peek();
    if (!tok) return fail("expected a value");
    pos++;
    if (tok.type === "str") return { kind: "literal", value: tok.value };
    if (tok.type === "num") return { kind: "literal", value: Number(tok.value) };
    if (tok.type === "ident") {
      if (tok.value === "true") return { kind: "literal", value: true };
      if (tok.value === "false") return { kind: "literal", value: false };
      if (tok.value === "null") return { kind: "literal", value: null };
      if (tok.value in WORD_OPS || tok.value === "not") {
        pos--;
        return fail("expected a value");
      }
      return { kind: "name", name: tok.value };
    }
    if (tok.value === "(") {
      const inner = parseBinary(0);
      expectOp(")");
      return inner;
    }
    if (tok.value === "[") {
      const items: Expr[] = [];
      if (peek()?.value !== "]") {
        for (;;) {
          items.push(parseBinary(0));
          if (peek()?.value === ",") {
            pos++;
            continue;
          }
          break;
        }
      }
      expectOp("]");
      return { kind: "list", items };
    }
    pos--;
    return fail("expected a value");
  }

  if (tokens.length === 0) throw new ExpressionError("empty expression", source);
  const expr = parseBinary(0);
  if (pos < tokens.length) fail("unexpected");
  return expr;
}

/** Every answer name an expression reads. */
export function referencedNames(expr: Expr, into = new Set<string>()): Set<string> {
  switch (expr.kind) {
    case "name":
      into.add(expr.name);
      break;
    case "list":
      for (const item of expr.items) referencedNames(item, into);
      break;
    case "not":
      referencedNames(expr.operand, into);
      break;
    case "binary":
      referencedNames(expr.left, into);
      referencedNames(expr.right, into);
      break;
    case "literal":
      break;
  }
  return into;
}

export function evaluate(expr: Expr, scope: Readonly<Record<string, unknown>>): unknown {
  switch (expr.kind) {
    case "literal":
      return expr.value;
    case "name":
      if (!Object.prototype.hasOwnProperty.call(scope, expr.name)) {
        throw new ExpressionError(`unknown name "${expr.name}"`, "");
      }
      return scope[expr.name];
    case "list":
      return expr.items.map((item) => evaluate(item, scope));
    case "not":
      return !truthy(evaluate(expr.operand, scope));
    case "binary": {
      if (expr.op === "&&") return truthy(evaluate(expr.left, scope)) && truthy(evaluate(expr.right, scope));
      if (expr.op === "||") return truthy(evaluate(expr.left, scope)) || truthy(evaluate(expr.right, scope));
      const left = evaluate(expr.left, scope);
      const right = evaluate(expr.right, scope);
      switch (expr.op) {
        case "==":
          return looseEqual(left, right);
        case "!=":
          return !looseEqual(left, right);
        case "in":
          if (Array.isArray(right)) return right.some((item) => looseEqual(item, left));
          if (typeof right === "string") return typeof left === "string" && right.includes(left);
          return false;
        default:
          return compare(expr.op, left, right);
      }
    }
  }
}

/** Empty strings, empty lists, 0, false, null and undefined are false. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "string") return String(a) === b;
  if (typeof a === "string" && typeof b === "number") return a === String(b);
  return a === b || (a == null && b == null);
}

function compare(op: "<" | "<=" | ">" | ">=", a: unknown, b: unknown): boolean {
  const x = typeof a === "string" && /^-?\d+(\.\d+)?$/.test(a) ? Number(a) : a;
  const y = typeof b === "string" && /^-?\d+(\.\d+)?$/.test(b) ? Number(b) : b;
  if (typeof x !== typeof y || (typeof x !== "number" && typeof x !== "string")) return false;
  const l = x as number | string;
  const r = y as number | string;
  return op === "<" ? l < r : op === "<=" ? l <= r : op === ">" ? l > r : l >= r;
}

/** Evaluate a `when` value (boolean or expression text) against answers. */
export function evaluateCondition(when: string | boolean | undefined, scope: Readonly<Record<string, unknown>>): boolean {
  if (when === undefined) return true;
  if (typeof when === "boolean") return when;
  let parsed = parsedConditions.get(when);
  if (!parsed) {
    parsed = parseExpression(when);
    parsedConditions.set(when, parsed);
  }
  return truthy(evaluate(parsed, scope));
}

/**
 * Conditions by their text: a template's `files.when` condition is asked for every file it matches, in every
 * version an upgrade renders. A parsed expression is never changed, so sharing it changes no answer; one that
 * fails to parse is not kept and fails the same way again.
 */
const parsedConditions = new Map<string, Expr>();
