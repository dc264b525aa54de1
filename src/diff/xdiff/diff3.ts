// SPDX-License-Identifier: LGPL-2.1-or-later
// A port of the three-way merge in git's xdiff/xmerge.c (git merge-file), itself derived from LibXDiff by
// Davide Libenzi. Copyright (C) 2003-2006 Davide Libenzi, Johannes E. Schindelin and the git authors; this
// port: the paved authors. Licensed under the GNU Lesser General Public License 2.1 or later; see ./README.md.
import { byteString, fromByteString } from "../../tree.js";
import { diffLines, splitLines, type LineChange } from "./line-diff.js";

/**
 * A line-based three-way merge with `git merge-file` semantics (its default "zealous alnum" level):
 * changes on one side only are taken; identical changes on both sides are taken once; overlapping
 * different changes are narrowed to the lines that really differ and written between conflict markers;
 * conflicts separated by at most three lines (or only by lines without letters or digits) are joined.
 * The output is byte-identical to `git merge-file -p` (checked by test/upgrade/merge-file-agreement.test.ts).
 *
 * It works on strings but looks only at "\n", "\r" and ASCII letters and digits, so it gives the same result on
 * byte strings (one char per byte, see `byteString`) as git on the bytes: `mergeBytes` is the entry point for
 * files, whatever their encoding; nothing is decoded or re-encoded.
 */

export interface MergeLabels {
  ours: string;
  base: string;
  theirs: string;
}

export type ConflictStyle = "merge" | "diff3";

/** How to settle overlapping changes: mark them (default) or take one side (used for `--conflict rej`). */
export type Favor = "none" | "ours" | "theirs";

export interface MergeOptions {
  labels?: MergeLabels;
  style?: ConflictStyle;
  favor?: Favor;
  markerSize?: number;
}

export interface ConflictRegion {
  /** 1-based line of the `<<<<<<<` marker in the merged text. */
  line: number;
  ours: string[];
  theirs: string[];
}

export interface MergeResult {
  text: string;
  conflicts: ConflictRegion[];
}

const DEFAULT_LABELS: MergeLabels = { ours: "ours", base: "base", theirs: "theirs" };

/** Mode of a merge hunk: a conflict, one side's change, or the same change on both sides. */
const CONFLICT = 0;
const OURS = 1;
const THEIRS = 2;
const BOTH_SAME = 4;

interface Hunk {
  mode: number;
  /** Range in base, ours and theirs. */
  i0: number;
  chg0: number;
  i1: number;
  chg1: number;
  i2: number;
  chg2: number;
}

function appendHunk(hunks: Hunk[], h: Hunk): void {
  const last = hunks[hunks.length - 1];
  if (last && (h.i1 <= last.i1 + last.chg1 || h.i2 <= last.i2 + last.chg2)) {
    if (h.mode !== last.mode) last.mode = CONFLICT;
    last.chg0 = h.i0 + h.chg0 - last.i0;
    last.chg1 = h.i1 + h.chg1 - last.i1;
    last.chg2 = h.i2 + h.chg2 - last.i2;
  } else {
    hunks.push(h);
  }
}

function sameLines(a: readonly string[], ai: number, b: readonly string[], bi: number, count: number): boolean {
  for (let k = 0; k < count; k++) if (a[ai + k] !== b[bi + k]) return false;
  return true;
}

/** Walk both change lists (base coordinates) and pair overlapping or touching changes into conflicts. */
function combine(x1: LineChange[], x2: LineChange[], ours: string[], theirs: string[], baseLength: number): Hunk[] {
  const hunks: Hunk[] = [];
  let p = 0;
  let q = 0;
  while (p < x1.length && q < x2.length) {
    const c1 = x1[p]!;
    const c2 = x2[q]!;
    if (c1.i1 + c1.chg1 < c2.i1) {
      appendHunk(hunks, { mode: OURS, i0: c1.i1, chg0: c1.chg1, i1: c1.i2, chg1: c1.chg2, i2: c2.i2 - c2.i1 + c1.i1, chg2: c1.chg1 });
      p++;
      continue;
    }
    if (c2.i1 + c2.chg1 < c1.i1) {
      appendHunk(hunks, { mode: THEIRS, i0: c2.i1, chg0: c2.chg1, i1: c1.i2 - c1.i1 + c2.i1, chg1: c2.chg1, i2: c2.i2, chg2: c2.chg2 });
      q++;
      continue;
    }
    const identical = c1.i1 === c2.i1 && c1.chg1 === c2.chg1 && c1.chg2 === c2.chg2 && sameLines(ours, c1.i2, theirs, c2.i2, c1.chg2);
    if (!identical) {
      const off = c1.i1 - c2.i1;
      const ffo = off + c1.chg1 - c2.chg1;
      let i0 = c1.i1;
      let i1 = c1.i2;
      let i2 = c2.i2;
      if (off > 0) {
        i0 -= off;
        i1 -= off;
      } else {
        i2 += off;
      }
      let chg0 = c1.i1 + c1.chg1 - i0;
      let chg1 = c1.i2 + c1.chg2 - i1;
      let chg2 = c2.i2 + c2.chg2 - i2;
      if (ffo < 0) {
        chg0 -= ffo;
        chg1 -= ffo;
      } else {
        chg2 += ffo;
      }
      appendHunk(hunks, { mode: CONFLICT, i0, chg0, i1, chg1, i2, chg2 });
    }
    const end1 = c1.i1 + c1.chg1;
    const end2 = c2.i1 + c2.chg1;
    if (end1 >= end2) q++;
    if (end2 >= end1) p++;
  }
  const oursShift = ours.length - baseLength;
  const theirsShift = theirs.length - baseLength;
  for (; p < x1.length; p++) {
    const c = x1[p]!;
    appendHunk(hunks, { mode: OURS, i0: c.i1, chg0: c.chg1, i1: c.i2, chg1: c.chg2, i2: c.i1 + theirsShift, chg2: c.chg1 });
  }
  for (; q < x2.length; q++) {
    const c = x2[q]!;
    appendHunk(hunks, { mode: THEIRS, i0: c.i1, chg0: c.chg1, i1: c.i1 + oursShift, chg1: c.chg1, i2: c.i2, chg2: c.chg2 });
  }
  return hunks;
}

/** Narrow each conflict to the lines where the two sides really differ; identical sides stop conflicting. */
function refineConflicts(hunks: Hunk[], ours: string[], theirs: string[]): Hunk[] {
  const out: Hunk[] = [];
  for (const h of hunks) {
    if (h.mode !== CONFLICT || h.chg1 === 0 || h.chg2 === 0) {
      out.push(h);
      continue;
    }
    const inner = diffLines(ours.slice(h.i1, h.i1 + h.chg1), theirs.slice(h.i2, h.i2 + h.chg2));
    if (inner.length === 0) {
      out.push({ ...h, mode: BOTH_SAME });
      continue;
    }
    inner.forEach((c, k) => {
      // Only the first piece keeps the base range; diff3 style never refines, so it is not shown.
      out.push({
        mode: CONFLICT,
        i0: k === 0 ? h.i0 : 0,
        chg0: k === 0 ? h.chg0 : 0,
        i1: h.i1 + c.i1,
        chg1: c.chg1,
        i2: h.i2 + c.i2,
        chg2: c.chg2,
      });
    });
  }
  return out;
}

const ALNUM = /[A-Za-z0-9]/;

/** Join conflicts separated by at most 3 lines, or by any number of lines without a letter or digit. */
function simplifyNonConflicts(hunks: Hunk[], ours: string[]): Hunk[] {
  const out: Hunk[] = [];
  for (const h of hunks) {
    const m = out[out.length - 1];
    if (m && m.mode === CONFLICT && h.mode === CONFLICT) {
      const begin = m.i1 + m.chg1;
      const end = h.i1;
      const between = ours.slice(begin, end);
      if (end - begin <= 3 || !between.some((line) => ALNUM.test(line))) {
        m.chg1 = h.i1 + h.chg1 - m.i1;
        m.chg2 = h.i2 + h.chg2 - m.i2;
        continue;
      }
    }
    out.push({ ...h });
  }
  return out;
}

/** Does line i end in CRLF (for the last line without EOL, look at the line before)? -1: cannot tell. */
function endsInCrlf(lines: string[], i: number): number {
  if (i < lines.length - 1) return lines[i]!.endsWith("\r\n") ? 1 : 0;
  if (lines.length === 0) return -1;
  const line = lines[i]!;
  if (line.endsWith("\n")) return line.endsWith("\r\n") ? 1 : 0;
  if (i === 0) return -1;
  return lines[i - 1]!.endsWith("\r\n") ? 1 : 0;
}

function crNeeded(h: Hunk, base: string[], ours: string[], theirs: string[]): boolean {
  let needs = endsInCrlf(ours, h.i1 ? h.i1 - 1 : 0);
  if (needs) needs = endsInCrlf(theirs, h.i2 ? h.i2 - 1 : 0);
  if (needs) needs = endsInCrlf(base, 0);
  return needs > 0;
}

function copyLines(out: string[], lines: string[], start: number, count: number, eol: string, addNewline: boolean): void {
  if (count < 1) return;
  for (let k = 0; k < count; k++) out.push(lines[start + k]!);
  if (addNewline && !lines[start + count - 1]!.endsWith("\n")) out.push(eol);
}

export interface ByteMergeResult {
  data: Buffer;
  /** How many conflicting regions were marked (or settled by `favor`). */
  conflicts: number;
}

/** Three-way merge of files' bytes, line by line, exactly as `git merge-file` merges them. Labels are UTF-8. */
export function mergeBytes(base: Uint8Array, ours: Uint8Array, theirs: Uint8Array, options: MergeOptions = {}): ByteMergeResult {
  const label = (text: string) => byteString(Buffer.from(text, "utf8"));
  const labels = options.labels
    ? { ours: label(options.labels.ours), base: label(options.labels.base), theirs: label(options.labels.theirs) }
    : undefined;
  const merged = mergeText(byteString(base), byteString(ours), byteString(theirs), { ...options, ...(labels ? { labels } : {}) });
  return { data: fromByteString(merged.text), conflicts: merged.conflicts.length };
}

/** Three-way merge of text (line based). Conflicts are marked unless `favor` picks a side. */
export function mergeText(baseText: string, oursText: string, theirsText: string, options: MergeOptions = {}): MergeResult {
  const labels = options.labels ?? DEFAULT_LABELS;
  const style = options.style ?? "merge";
  const favor = options.favor ?? "none";
  const size = options.markerSize ?? 7;
  const base = splitLines(baseText);
  const ours = splitLines(oursText);
  const theirs = splitLines(theirsText);
  const x1 = diffLines(base, ours);
  const x2 = diffLines(base, theirs);
  if (x1.length === 0) return { text: theirsText, conflicts: [] };
  if (x2.length === 0) return { text: oursText, conflicts: [] };

  let hunks = combine(x1, x2, ours, theirs, base.length);
  // diff3 output shows the base, which only makes sense for unrefined conflicts (git caps the level too).
  if (style === "merge") hunks = simplifyNonConflicts(refineConflicts(hunks, ours, theirs), ours);

  const out: string[] = [];
  const conflicts: ConflictRegion[] = [];
  let lineNo = 1;
  const push = (pieces: string[]) => {
    for (const piece of pieces) {
      out.push(piece);
      if (piece.endsWith("\n")) lineNo++;
    }
  };
  let i = 0;
  for (const h of hunks) {
    let mode = h.mode;
    if (mode === CONFLICT && favor !== "none") mode = favor === "ours" ? OURS : THEIRS;
    if (mode === CONFLICT) {
      const cr = crNeeded(h, base, ours, theirs) ? "\r\n" : "\n";
      const before: string[] = [];
      copyLines(before, ours, i, h.i1 - i, cr, false);
      push(before);
      conflicts.push({ line: lineNo, ours: ours.slice(h.i1, h.i1 + h.chg1), theirs: theirs.slice(h.i2, h.i2 + h.chg2) });
      const block: string[] = [`${"<".repeat(size)}${labels.ours ? ` ${labels.ours}` : ""}${cr}`];
      copyLines(block, ours, h.i1, h.chg1, cr, true);
      if (style === "diff3") {
        block.push(`${"|".repeat(size)}${labels.base ? ` ${labels.base}` : ""}${cr}`);
        copyLines(block, base, h.i0, h.chg0, cr, true);
      }
      block.push(`${"=".repeat(size)}${cr}`);
      copyLines(block, theirs, h.i2, h.chg2, cr, true);
      block.push(`${">".repeat(size)}${labels.theirs ? ` ${labels.theirs}` : ""}${cr}`);
      push(block);
    } else if (mode === OURS || mode === THEIRS) {
      const piece: string[] = [];
      copyLines(piece, ours, i, h.i1 - i, "\n", false);
      if (mode === OURS) copyLines(piece, ours, h.i1, h.chg1, "\n", false);
      else copyLines(piece, theirs, h.i2, h.chg2, "\n", false);
      push(piece);
    } else {
      continue;
    }
    i = h.i1 + h.chg1;
  }
  const rest: string[] = [];
  copyLines(rest, ours, i, ours.length - i, "\n", false);
  push(rest);
  return { text: out.join(""), conflicts };
}
