// SPDX-License-Identifier: MIT
// Handlebars' whitespace pass, ported from lib/handlebars/compiler/whitespace-control.js in handlebars 4.7.10
// (Copyright (C) 2011-2019 by Yehuda Katz, MIT licence; Handlebars is a dependency of paved and ships that
// licence). It makes the same decisions on the trees ./template-parser.ts builds (programs, text, mustaches,
// blocks, comments). What differs is how it decides: Handlebars tests regular expressions such as
// /(?:^|\S)[^\S\n]*\n\s*$/ that V8 tries at every position of a text node, so the pass read every text in full
// several times (a third of parsing a large template); here each test reads only the whitespace at the node's
// end or start, which is what those expressions are about. test/unit/fast-template.test.ts checks the trees
// against Handlebars' own parser.

type Node = Record<string, unknown> & { type: string };
interface StripFlags {
  open?: boolean;
  close?: boolean;
  openStandalone?: boolean;
  closeStandalone?: boolean;
  inlineStandalone?: boolean;
}
interface Content extends Node {
  type: "ContentStatement";
  original: string;
  value: string;
  leftStripped?: boolean;
  rightStripped?: boolean;
}
type Body = Node[];

/** Apply the whitespace rules to a template's tree in place (as Handlebars' parser does); returns it. */
export function controlWhitespace<T extends Node>(root: T): T {
  const state = { rootSeen: false };
  accept(root, state);
  return root;
}

function accept(node: Node | undefined, state: { rootSeen: boolean }): StripFlags | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case "Program":
      program(node, state);
      return undefined;
    case "BlockStatement":
      return block(node, state);
    case "MustacheStatement":
      return node.strip as StripFlags;
    case "CommentStatement": {
      const strip = (node.strip as StripFlags | undefined) ?? {};
      return { inlineStandalone: true, open: strip.open, close: strip.close };
    }
    case "ContentStatement":
      return undefined;
    default:
      // ./template-parser.ts builds nothing else (partials and decorators go to Handlebars' parser).
      throw new Error(`whitespace control: unexpected ${node.type}`);
  }
}

function program(node: Node, state: { rootSeen: boolean }): void {
  const isRoot = !state.rootSeen;
  state.rootSeen = true;
  const body = node.body as Body;
  // Nothing here adds or removes nodes (omitLeft and omitRight change the values of text nodes).
  for (const [i, current] of body.entries()) {
    const strip = accept(current, state);
    if (!strip) continue;
    const prevWhitespace = isPrevWhitespace(body, i, isRoot);
    const nextWhitespace = isNextWhitespace(body, i, isRoot);
    const openStandalone = strip.openStandalone && prevWhitespace;
    const closeStandalone = strip.closeStandalone && nextWhitespace;
    const inlineStandalone = strip.inlineStandalone && prevWhitespace && nextWhitespace;
    if (strip.close) omitRight(body, i, true);
    if (strip.open) omitLeft(body, i, true);
    if (inlineStandalone) {
      omitRight(body, i);
      omitLeft(body, i);
    }
    if (openStandalone) {
      omitRight(((current.program ?? current.inverse) as Node).body as Body);
      omitLeft(body, i);
    }
    if (closeStandalone) {
      omitRight(body, i);
      omitLeft(((current.inverse ?? current.program) as Node).body as Body);
    }
  }
}

function block(node: Node, state: { rootSeen: boolean }): StripFlags {
  accept(node.program as Node | undefined, state);
  accept(node.inverse as Node | undefined, state);
  const programNode = (node.program ?? node.inverse) as Node;
  const inverse = (node.program && node.inverse) as Node | undefined;
  const chain = inverse && inverseChain(inverse);
  const openStrip = node.openStrip as StripFlags;
  const closeStrip = node.closeStrip as StripFlags;
  const strip: StripFlags = {
    open: openStrip.open,
    close: closeStrip.close,
    // Whether this block may be standalone: its parent decides from what surrounds it.
    openStandalone: isNextWhitespace(programNode.body as Body),
    closeStandalone: isPrevWhitespace((chain?.first ?? programNode).body as Body),
  };
  if (openStrip.close) omitRight(programNode.body as Body, undefined, true);
  if (chain) {
    const inverseStrip = node.inverseStrip as StripFlags;
    if (inverseStrip.open) omitLeft(programNode.body as Body, undefined, true);
    if (inverseStrip.close) omitRight(chain.first.body as Body, undefined, true);
    if (closeStrip.open) omitLeft(chain.last.body as Body, undefined, true);
    // A standalone {{else}}.
    if (isPrevWhitespace(programNode.body as Body) && isNextWhitespace(chain.first.body as Body)) {
      omitLeft(programNode.body as Body);
      omitRight(chain.first.body as Body);
    }
  } else if (closeStrip.open) {
    omitLeft(programNode.body as Body, undefined, true);
  }
  return strip;
}

/**
 * The first and last programs of a block's inverse: the inverse itself, or for a chained {{else if}} the
 * program inside its first block and the one at the end of the chain.
 */
function inverseChain(inverse: Node): { first: Node; last: Node } {
  if (!inverse.chained) return { first: inverse, last: inverse };
  const first = ((inverse.body as Body)[0] as Node).program as Node;
  let last = inverse;
  while (last.chained) {
    const body = last.body as Body;
    last = (body[body.length - 1] as Node).program as Node;
  }
  return { first, last };
}

/** JavaScript's \s. */
const WHITESPACE = /\s/;
const isWhitespace = (char: string) => WHITESPACE.test(char);
const isSpaceOrTab = (char: string) => char === " " || char === "\t";

/** Where the run of whitespace that ends `text` starts, and whether it holds a newline. */
function trailingWhitespace(text: string): { start: number; newline: boolean } {
  let start = text.length;
  let newline = false;
  while (start > 0 && isWhitespace(text.charAt(start - 1))) {
    start--;
    if (text[start] === "\n") newline = true;
  }
  return { start, newline };
}

/** Where the run of whitespace that starts `text` ends, and whether it holds a newline. */
function leadingWhitespace(text: string): { end: number; newline: boolean } {
  let end = 0;
  let newline = false;
  while (end < text.length && isWhitespace(text.charAt(end))) {
    if (text[end] === "\n") newline = true;
    end++;
  }
  return { end, newline };
}

function isPrevWhitespace(body: Body, i = body.length, isRoot?: boolean): boolean | undefined {
  const prev = body[i - 1];
  const sibling = body[i - 2];
  if (!prev) return isRoot;
  if (prev.type !== "ContentStatement") return undefined;
  // Handlebars: /(?:^|\S)[^\S\n]*\n\s*$/ (the trailing whitespace holds a newline), and at the root's first node
  // also /^\s*$/ (the text is all whitespace).
  const { start, newline } = trailingWhitespace((prev as Content).original);
  return sibling || !isRoot ? newline : newline || start === 0;
}

function isNextWhitespace(body: Body, i = -1, isRoot?: boolean): boolean | undefined {
  const next = body[i + 1];
  const sibling = body[i + 2];
  if (!next) return isRoot;
  if (next.type !== "ContentStatement") return undefined;
  // Handlebars: /^\s*?\r?\n/ (the leading whitespace holds a newline), and at the root's last node also
  // /^\s*?(\r?\n|$)/ (or the text is all whitespace).
  const text = (next as Content).original;
  const { end, newline } = leadingWhitespace(text);
  return sibling || !isRoot ? newline : newline || end === text.length;
}

/** Strip the whitespace that starts the text node after `i` (all of it, or the rest of its first line). */
function omitRight(body: Body, i?: number, multiple?: boolean): void {
  const current = body[i == null ? 0 : i + 1] as Content | undefined;
  if (!current || current.type !== "ContentStatement" || (!multiple && current.rightStripped)) return;
  const original = current.value;
  // Anchored at the start: these read only the leading whitespace, as Handlebars' do.
  current.value = original.replace(multiple ? /^\s+/ : /^[ \t]*\r?\n?/, "");
  current.rightStripped = current.value !== original;
}

/**
 * Strip the whitespace that ends the text node before `i` (all of it, or the spaces and tabs). Handlebars:
 * `.replace(/(^|\S)\s+$/, "$1")` (or with [ \t] for \s), which removes exactly the trailing run.
 */
function omitLeft(body: Body, i?: number, multiple?: boolean): boolean | undefined {
  const current = body[i == null ? body.length - 1 : i - 1] as Content | undefined;
  if (!current || current.type !== "ContentStatement" || (!multiple && current.leftStripped)) return undefined;
  const original = current.value;
  const strippable = multiple ? isWhitespace : isSpaceOrTab;
  let end = original.length;
  while (end > 0 && strippable(original.charAt(end - 1))) end--;
  current.value = end === original.length ? original : original.slice(0, end);
  current.leftStripped = current.value !== original;
  return current.leftStripped;
}
