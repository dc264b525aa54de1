// SPDX-License-Identifier: MIT
// The lexer's rules are copied from src/handlebars.l of handlebars 4.7.10 (Copyright (C) 2011-2019 by Yehuda Katz,
// MIT licence; Handlebars is a dependency of paved and ships that licence). See ./README.md.
/**
 * A fast parser for the Handlebars templates paved renders most. Handlebars' own parser is generated
 * (Jison): it re-runs up to 40 regular expressions per token and costs more than rendering. This one
 * reads the same syntax with the same rules, in the same order (the lexer's regular expressions are
 * copied from Handlebars 4.7), for the subset ./fast-template.ts renders: text, `\{{` escapes, comments,
 * `{{path}}`, `{{{path}}}`, `{{helper arg (sub arg)}}`, `{{#if}}`/`{{#unless}}`, `{{else}}`, `{{^}}`,
 * `{{else if}}`, `{{/if}}` and `~` whitespace control. It builds the tree Handlebars' parser builds and
 * then applies Handlebars' whitespace pass to it (ported: ./whitespace-control.ts). For anything else (partials, hashes, `@data`,
 * `this`, `../`, raw blocks, inverted sections, a syntax error) it returns undefined and the caller uses
 * Handlebars' parser, so errors and rarer syntax keep Handlebars' exact behaviour.
 * test/unit/fast-template.test.ts checks that both parsers build the same tree.
 */
import { controlWhitespace } from "./whitespace-control.js";

/** Thrown (one shared instance) when the template uses more than this parser reads. */
const UNSUPPORTED = Object.freeze({ unsupported: true });

type TokenKind =
  | "CONTENT"
  | "COMMENT"
  | "OPEN"
  | "OPEN_UNESCAPED"
  | "OPEN_BLOCK"
  | "OPEN_ENDBLOCK"
  | "INVERSE"
  | "OPEN_INVERSE_CHAIN"
  | "OPEN_SEXPR"
  | "CLOSE_SEXPR"
  | "CLOSE"
  | "CLOSE_UNESCAPED"
  | "ID"
  | "SEP"
  | "STRING"
  | "NUMBER"
  | "BOOLEAN"
  | "UNDEFINED"
  | "NULL"
  | "EOF";

interface Token {
  kind: TokenKind;
  text: string;
}

/** Handlebars' lexer rules for the inside of a mustache ("mu" state), in its order; null = unsupported here. */
const MU_RULES: Array<[RegExp, TokenKind | null | "SKIP" | "COMMENT_LONG"]> = [
  [/\(/y, "OPEN_SEXPR"],
  [/\)/y, "CLOSE_SEXPR"],
  [/\{\{\{\{/y, null],
  [/\}\}\}\}/y, null],
  [/\{\{(~)?>/y, null],
  [/\{\{(~)?#>/y, null],
  [/\{\{(~)?#\*?/y, "OPEN_BLOCK"],
  [/\{\{(~)?\//y, "OPEN_ENDBLOCK"],
  [/\{\{(~)?\^\s*(~)?\}\}/y, "INVERSE"],
  [/\{\{(~)?\s*else\s*(~)?\}\}/y, "INVERSE"],
  [/\{\{(~)?\^/y, null],
  [/\{\{(~)?\s*else\b/y, "OPEN_INVERSE_CHAIN"],
  [/\{\{(~)?\{/y, "OPEN_UNESCAPED"],
  [/\{\{(~)?&/y, "OPEN"],
  [/\{\{(~)?!--/y, "COMMENT_LONG"],
  [/\{\{(~)?![\s\S]*?\}\}/y, "COMMENT"],
  [/\{\{(~)?\*?/y, "OPEN"],
  [/=/y, null],
  [/\.\./y, null],
  [/\.(?=([=~}\s/.)|]))/y, null],
  [/[/.]/y, "SEP"],
  [/\s+/y, "SKIP"],
  [/\}(~)?\}\}/y, "CLOSE_UNESCAPED"],
  [/(~)?\}\}/y, "CLOSE"],
  [/"(\\["]|[^"])*"/y, "STRING"],
  [/'(\\[']|[^'])*'/y, "STRING"],
  [/@/y, null],
  [/true(?=([~}\s)]))/y, "BOOLEAN"],
  [/false(?=([~}\s)]))/y, "BOOLEAN"],
  [/undefined(?=([~}\s)]))/y, "UNDEFINED"],
  [/null(?=([~}\s)]))/y, "NULL"],
  [/-?[0-9]+(?:\.[0-9]+)?(?=([~}\s)]))/y, "NUMBER"],
  [/as\s+\|/y, null],
  [/\|/y, null],
  [/([^\s!"#%-,./;->@[-^`{-~]+(?=([=~}\s/.)|])))/y, "ID"],
];
/**
 * The rules that can match at a character, still in Handlebars' order: first-match lexing gives the same
 * token while trying a few regular expressions instead of all of them.
 */
function rulesStartingWith(char: string): ReadonlyArray<(typeof MU_RULES)[number]> {
  // Indexes are given in ascending order, so filtering keeps Handlebars' order.
  const pick = (...indexes: number[]) => MU_RULES.filter((_, i) => indexes.includes(i));
  switch (char) {
    case "(":
      return pick(0);
    case ")":
      return pick(1);
    case "{":
      return pick(2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
    case "}":
      return pick(3, 22, 23);
    case "~":
      return pick(23);
    case "=":
      return pick(17);
    case ".":
      return pick(18, 19, 20);
    case "/":
      return pick(20);
    case '"':
      return pick(24);
    case "'":
      return pick(25);
    case "@":
      return pick(26);
    case "t":
      return pick(27, 34);
    case "f":
      return pick(28, 34);
    case "u":
      return pick(29, 34);
    case "n":
      return pick(30, 34);
    case "a":
      return pick(32, 34);
    case "|":
      return pick(33);
    default:
      if (/\s/.test(char)) return pick(21);
      return char === "-" || (char >= "0" && char <= "9") ? pick(31, 34) : pick(34);
  }
}
const RULES_BY_CHAR = new Map<string, ReturnType<typeof rulesStartingWith>>();

/**
 * The rules that can match a mustache's opening `{{` at `pos`, by the character after it (and after a `~`): of
 * the 14 that start with `{{`, the few whose next character it can be, still in Handlebars' order. Most
 * mustaches (`{{name}}`) then take one regular expression instead of fourteen.
 */
function openingRules(source: string, pos: number): ReturnType<typeof rulesStartingWith> {
  let next = source.charAt(pos + 2);
  if (next === "~") next = source.charAt(pos + 3);
  const key = next !== "" && "{>#/^&!*".includes(next) ? next : next === "e" || /\s/.test(next) ? "e" : "";
  let rules = OPENING_RULES.get(key);
  if (!rules) {
    const indexes = OPENING_BY_NEXT[key] ?? [16];
    rules = MU_RULES.filter((_, i) => indexes.includes(i));
    OPENING_RULES.set(key, rules);
  }
  return rules;
}
/** MU_RULES indexes that can match `{{` followed by that character (rule 16, a plain `{{`, matches any). */
const OPENING_BY_NEXT: Record<string, number[]> = {
  "{": [2, 12, 16],
  ">": [4, 16],
  "#": [5, 6, 16],
  "/": [7, 16],
  "^": [8, 10, 16],
  "&": [13, 16],
  "!": [14, 15, 16],
  "*": [16],
  // `else` after optional whitespace: {{else}}, {{else if ...}}; or a name such as {{env}}.
  e: [9, 11, 16],
  "": [16],
};
const OPENING_RULES = new Map<string, ReturnType<typeof rulesStartingWith>>();

const LONG_COMMENT = /[\s\S]*?--(~)?\}\}/y;
/** Where escaped text (after `\{{`) ends: before the next `{{`, `\{{` or `\\{{`, at least 2 characters on. */
const ESCAPED_END = /\{\{|\\\{\{|\\\\\{\{/g;

/** Tokens as Handlebars' lexer produces them (its INITIAL, emu, mu and com states). */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let state: "text" | "escaped" | "mustache" = "text";
  while (pos < source.length || state === "mustache") {
    if (state === "text") {
      const open = source.indexOf("{{", pos);
      if (open < 0) {
        tokens.push({ kind: "CONTENT", text: source.slice(pos) });
        pos = source.length;
        break;
      }
      let text = source.slice(pos, open);
      pos = open;
      state = "mustache";
      if (text.endsWith("\\\\")) text = text.slice(0, -1);
      else if (text.endsWith("\\")) {
        text = text.slice(0, -1);
        state = "escaped";
      }
      if (text) tokens.push({ kind: "CONTENT", text });
    } else if (state === "escaped") {
      ESCAPED_END.lastIndex = pos + 2;
      const next = ESCAPED_END.exec(source);
      const end = next ? next.index : source.length;
      tokens.push({ kind: "CONTENT", text: source.slice(pos, end) });
      pos = end;
      state = "text";
    } else {
      if (pos >= source.length) throw UNSUPPORTED;
      let matched = false;
      const char = source.charAt(pos);
      let rules = char === "{" && source.charAt(pos + 1) === "{" ? openingRules(source, pos) : RULES_BY_CHAR.get(char);
      if (!rules) {
        rules = rulesStartingWith(char);
        RULES_BY_CHAR.set(char, rules);
      }
      for (const [rule, kind] of rules) {
        rule.lastIndex = pos;
        const match = rule.exec(source);
        if (!match) continue;
        if (kind === null) throw UNSUPPORTED;
        matched = true;
        if (kind === "COMMENT_LONG") {
          LONG_COMMENT.lastIndex = pos;
          const comment = LONG_COMMENT.exec(source);
          if (!comment) throw UNSUPPORTED;
          tokens.push({ kind: "COMMENT", text: comment[0] });
          pos += comment[0].length;
          state = "text";
          break;
        }
        pos += match[0].length;
        if (kind === "SKIP") break;
        tokens.push({ kind, text: match[0] });
        if (kind === "CLOSE" || kind === "CLOSE_UNESCAPED" || kind === "INVERSE" || kind === "COMMENT") state = "text";
        break;
      }
      if (!matched) throw UNSUPPORTED;
    }
  }
  tokens.push({ kind: "EOF", text: "" });
  return tokens;
}

interface Strip {
  open: boolean;
  close: boolean;
}
type Node = Record<string, unknown> & { type: string };
interface ProgramNode extends Node {
  type: "Program";
  body: Node[];
}
interface OpenBlock {
  open: string;
  path: Node;
  params: Node[];
  hash: undefined;
  blockParams: undefined;
  strip: Strip;
}
interface InverseAndProgram {
  strip: Strip;
  program: ProgramNode;
  chain?: boolean;
}

const stripFlags = (open: string, close: string): Strip => ({
  open: open.charAt(2) === "~",
  close: close.charAt(close.length - 3) === "~",
});

function stripComment(comment: string): string {
  return comment.replace(/^\{\{~?!-?-?/, "").replace(/-?-?~?\}\}$/, "");
}

function program(body: Node[]): ProgramNode {
  return { type: "Program", body, strip: {}, loc: undefined };
}

/** Handlebars' prepareBlock (compiler/helpers.js), for blocks that are not inverted or decorators. */
function prepareBlock(
  openBlock: OpenBlock,
  body: ProgramNode,
  inverseAndProgram: InverseAndProgram | undefined,
  close: { path?: Node; strip: Strip } | undefined,
): Node {
  if (close?.path && close.path.original !== openBlock.path.original) throw UNSUPPORTED;
  body.blockParams = openBlock.blockParams;
  let inverse: ProgramNode | undefined;
  let inverseStrip: Strip | undefined;
  if (inverseAndProgram) {
    if (inverseAndProgram.chain) (inverseAndProgram.program.body[0] as Node).closeStrip = close?.strip;
    inverseStrip = inverseAndProgram.strip;
    inverse = inverseAndProgram.program;
  }
  return {
    type: "BlockStatement",
    path: openBlock.path,
    params: openBlock.params,
    hash: openBlock.hash,
    program: body,
    inverse,
    openStrip: openBlock.strip,
    inverseStrip,
    closeStrip: close?.strip,
    loc: undefined,
  };
}

class Parser {
  private index = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    const token = this.tokens[this.index];
    // The lexer ends every list with EOF, and only root() takes it: reading past it is a bug here.
    if (token === undefined) throw new Error("bug: the template parser read past EOF");
    return token;
  }

  private take(kind?: TokenKind): Token {
    const token = this.peek();
    if (kind && token.kind !== kind) throw UNSUPPORTED;
    this.index++;
    return token;
  }

  root(): ProgramNode {
    const root = this.program();
    this.take("EOF");
    return root;
  }

  private program(): ProgramNode {
    const body: Node[] = [];
    for (;;) {
      const token = this.peek();
      switch (token.kind) {
        case "CONTENT":
          this.take();
          body.push({ type: "ContentStatement", original: token.text, value: token.text, loc: undefined });
          break;
        case "COMMENT":
          this.take();
          body.push({
            type: "CommentStatement",
            value: stripComment(token.text),
            strip: stripFlags(token.text, token.text),
            loc: undefined,
          });
          break;
        case "OPEN":
        case "OPEN_UNESCAPED":
          body.push(this.mustache());
          break;
        case "OPEN_BLOCK":
          body.push(this.block());
          break;
        default:
          return program(body);
      }
    }
  }

  private mustache(): Node {
    const open = this.take();
    if (open.text.includes("*")) throw UNSUPPORTED;
    const path = this.path();
    const params = this.params();
    const close = this.take(open.kind === "OPEN" ? "CLOSE" : "CLOSE_UNESCAPED");
    const flag = open.text.charAt(3) || open.text.charAt(2);
    return {
      type: "MustacheStatement",
      path,
      params,
      hash: undefined,
      escaped: flag !== "{" && flag !== "&",
      strip: stripFlags(open.text, close.text),
      loc: undefined,
    };
  }

  private openBlock(kind: "OPEN_BLOCK" | "OPEN_INVERSE_CHAIN"): OpenBlock {
    const open = this.take(kind);
    if (open.text.includes("*")) throw UNSUPPORTED;
    const path = this.path();
    const params = this.params();
    const close = this.take("CLOSE");
    return { open: open.text, path, params, hash: undefined, blockParams: undefined, strip: stripFlags(open.text, close.text) };
  }

  private block(): Node {
    const open = this.openBlock("OPEN_BLOCK");
    const body = this.program();
    const inverse = this.inverse();
    const end = this.take("OPEN_ENDBLOCK");
    const path = this.path();
    const close = this.take("CLOSE");
    return prepareBlock(open, body, inverse, { path, strip: stripFlags(end.text, close.text) });
  }

  /** `{{else}}...` or `{{else if x}}...` (chained to the end of the block), or nothing. */
  private inverse(): InverseAndProgram | undefined {
    const token = this.peek();
    if (token.kind === "INVERSE") {
      this.take();
      return { strip: stripFlags(token.text, token.text), program: this.program() };
    }
    if (token.kind !== "OPEN_INVERSE_CHAIN") return undefined;
    const open = this.openBlock("OPEN_INVERSE_CHAIN");
    const body = this.program();
    const rest = this.inverse();
    const chained = program([prepareBlock(open, body, rest, rest)]);
    chained.chained = true;
    return { strip: open.strip, program: chained, chain: true };
  }

  private params(): Node[] {
    const params: Node[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === "OPEN_SEXPR") params.push(this.subExpression());
      else if (token.kind === "ID") params.push(this.path());
      else if (
        token.kind === "STRING" ||
        token.kind === "NUMBER" ||
        token.kind === "BOOLEAN" ||
        token.kind === "UNDEFINED" ||
        token.kind === "NULL"
      )
        params.push(this.literal());
      else return params;
    }
  }

  private subExpression(): Node {
    this.take("OPEN_SEXPR");
    const path = this.path();
    const params = this.params();
    this.take("CLOSE_SEXPR");
    return { type: "SubExpression", path, params, hash: undefined, loc: undefined };
  }

  private literal(): Node {
    const token = this.take();
    switch (token.kind) {
      case "STRING": {
        const quote = token.text.charAt(0);
        const value = token.text.slice(1, -1).replace(quote === '"' ? /\\"/g : /\\'/g, quote);
        return { type: "StringLiteral", value, original: value, loc: undefined };
      }
      case "NUMBER":
        return { type: "NumberLiteral", value: Number(token.text), original: Number(token.text), loc: undefined };
      case "BOOLEAN":
        return { type: "BooleanLiteral", value: token.text === "true", original: token.text === "true", loc: undefined };
      case "UNDEFINED":
        return { type: "UndefinedLiteral", original: undefined, value: undefined, loc: undefined };
      default:
        return { type: "NullLiteral", original: null, value: null, loc: undefined };
    }
  }

  /** `a` or `a.b`: plain names joined by dots (`this`, `/` and `[literal]` segments are left to Handlebars). */
  private path(): Node {
    const parts = [this.take("ID").text];
    while (this.peek().kind === "SEP") {
      if (this.take().text !== ".") throw UNSUPPORTED;
      parts.push(this.take("ID").text);
    }
    if (parts.some((part) => part === "this" || part === "." || part === "..")) throw UNSUPPORTED;
    return { type: "PathExpression", data: false, depth: 0, parts, original: parts.join("."), loc: undefined };
  }
}

/** Deeper templates are refused: Handlebars' parser and compiler take seconds to minutes on a few thousand levels. */
export const MAX_TEMPLATE_NESTING = 64;

/** A template nested deeper than MAX_TEMPLATE_NESTING; render names the file. */
export class TemplateTooDeep extends Error {
  constructor(readonly depth: number) {
    super(`blocks and sub-expressions nest ${depth} deep (at most ${MAX_TEMPLATE_NESTING})`);
    this.name = "TemplateTooDeep";
  }
}

/**
 * How deep a template's blocks (`{{#...}}`, `{{^name}}`, each `{{else ...}}` of a chain) and, within a mustache,
 * its sub-expressions nest: one pass over the text, before any parser sees it. Comments are skipped; string
 * literals inside a mustache are skipped. It may over-count only in text no real template holds.
 */
export function templateNestingDepth(source: string): number {
  let blocks = 0;
  let deepest = 0;
  const chains: number[] = [];
  for (let i = source.indexOf("{{"); i !== -1; ) {
    let j = i + 2;
    if (source[j] === "~") j++;
    const c = source[j];
    if (c === "!") {
      const close = source.startsWith("!--", j) ? source.indexOf("--}}", j) : source.indexOf("}}", j);
      i = close === -1 ? -1 : source.indexOf("{{", close + 2);
      continue;
    }
    if (c === "#" || (c === "^" && !/^\^\s*~?\}\}/.test(source.slice(j, j + 8)))) {
      blocks++;
      chains.push(0);
    } else if (c === "/") {
      blocks -= 1 + (chains.pop() ?? 0);
    } else {
      let k = j;
      while (k < source.length && /\s/.test(source.charAt(k))) k++;
      if (source.startsWith("else", k) && /[\s(]/.test(source[k + 4] ?? "") && !/^\s*~?\}\}/.test(source.slice(k + 4, k + 12))) {
        blocks++;
        const chain = chains.pop();
        if (chain !== undefined) chains.push(chain + 1);
      }
    }
    // Sub-expressions up to the end of this mustache.
    let parens = 0;
    let k = j;
    for (; k < source.length && !source.startsWith("}}", k); k++) {
      const ch = source[k];
      if (ch === "(") parens++;
      else if (ch === ")") parens--;
      else if (ch === '"' || ch === "'") {
        const end = source.indexOf(ch, k + 1);
        if (end === -1) break;
        k = end;
      }
      deepest = Math.max(deepest, Math.max(blocks, 0) + Math.max(parens, 0));
    }
    deepest = Math.max(deepest, blocks);
    i = source.indexOf("{{", k);
  }
  return deepest;
}

/**
 * The last text found shallow enough: compiling a template checks it, and the fast path's parse of the same text
 * (./fast-template.ts, right after) would scan it again.
 */
let lastShallow: string | undefined;

/** Refuse a template nested deeper than MAX_TEMPLATE_NESTING (TemplateTooDeep). */
export function assertTemplateNesting(source: string): void {
  if (source === lastShallow || !source.includes("{{")) return;
  const depth = templateNestingDepth(source);
  if (depth > MAX_TEMPLATE_NESTING) throw new TemplateTooDeep(depth);
  lastShallow = source;
}

/** The tree `Handlebars.parse(source)` returns (without source locations), or undefined where Handlebars must parse. */
export function parseTemplate(source: string): Record<string, unknown> | undefined {
  if (source.includes("\0")) return undefined;
  assertTemplateNesting(source);
  try {
    const ast = new Parser(tokenize(source)).root();
    return controlWhitespace(ast);
  } catch (error) {
    if (error === UNSUPPORTED) return undefined;
    throw error;
  }
}
