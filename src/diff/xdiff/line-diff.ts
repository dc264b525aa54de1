// SPDX-License-Identifier: LGPL-2.1-or-later
// A port of the line diff in git's xdiff/ (xdiffi.c, xprepare.c: Myers with xdiff's preprocessing and slider
// compaction), itself derived from LibXDiff by Davide Libenzi. Copyright (C) 2003 Davide Libenzi and the git
// authors; this port: the paved authors. Licensed under the GNU Lesser General Public License 2.1 or later;
// see ./README.md for what it tracks and how it is kept equivalent.
/**
 * A line diff that makes the same choices as git's xdiff (Myers with xdiff's preprocessing and slider
 * compaction, default flags), so that our three-way merge agrees with `git merge-file` byte for byte.
 * Where several shortest edit scripts exist, the choice of which lines count as "changed" decides where
 * conflict markers go; copying git's choices keeps our output identical to what users see from git.
 */

/** One change: lines [i1, i1+chg1) of `a` are replaced by lines [i2, i2+chg2) of `b`. */
export interface LineChange {
  i1: number;
  chg1: number;
  i2: number;
  chg2: number;
}

/** Split text into lines that keep their "\n"; a last line without one is kept as is. */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf("\n", start);
    if (nl === -1) break;
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

const SNAKE_COUNT = 20;
const HEURISTIC_MIN_COST = 256;
const MAX_COST_MIN = 256;
const HEURISTIC_FACTOR = 4;
const DISCARD_RUN_FACTOR = 4;
const MAX_EQUAL_LIMIT = 1024;
const SIMILAR_SCAN_WINDOW = 100;
const LINE_MAX = 0x7fffffff;

/** xdiff's cheap integer square root: 2^ceil(log4(n+1)). */
function roughSqrt(n: number): number {
  let i = 1;
  for (; n > 0; n = Math.floor(n / 4)) i *= 2;
  return i;
}

/** One side of a diff: line ids, and a changed flag per line with a sentinel slot at each end. */
interface Side {
  ids: Int32Array;
  length: number;
  /** changed[i + 1] is line i; changed[0] and changed[length + 1] stay 0. */
  changed: Uint8Array;
  /** The lines still considered after preprocessing (indexes into ids) and their ids. */
  kept: Int32Array;
  keptIds: Int32Array;
  keptCount: number;
}

function newSide(ids: Int32Array): Side {
  return {
    ids,
    length: ids.length,
    changed: new Uint8Array(ids.length + 2),
    kept: new Int32Array(ids.length),
    keptIds: new Int32Array(ids.length),
    keptCount: 0,
  };
}

/** Count how often each id occurs, capped at `limit`. */
function occurrences(ids: Int32Array, limit: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, Math.min(limit, (counts.get(id) ?? 0) + 1));
  return counts;
}

/**
 * A line that matches many lines of the other file is dropped from the search only when it sits in a run
 * of lines that match nothing (xdiff's rule; it keeps the search small without changing good answers).
 */
function discardMultiMatch(dis: Uint8Array, i: number, start: number, end: number): boolean {
  if (i - start > SIMILAR_SCAN_WINDOW) start = i - SIMILAR_SCAN_WINDOW;
  if (end - i > SIMILAR_SCAN_WINDOW) end = i + SIMILAR_SCAN_WINDOW;
  let noMatchBefore = 0;
  let multiBefore = 1;
  for (let r = 1; i - r >= start; r++) {
    const d = dis[i - r]!;
    if (d === 0) noMatchBefore++;
    else if (d === 2) multiBefore++;
    else break;
  }
  if (noMatchBefore === 0) return false;
  let noMatchAfter = 0;
  let multiAfter = 1;
  for (let r = 1; i + r <= end; r++) {
    const d = dis[i + r]!;
    if (d === 0) noMatchAfter++;
    else if (d === 2) multiAfter++;
    else break;
  }
  if (noMatchAfter === 0) return false;
  const noMatch = noMatchAfter + noMatchBefore;
  const multi = multiAfter + multiBefore;
  return multi * DISCARD_RUN_FACTOR < multi + noMatch;
}

/** Trim the common head and tail, then drop lines that cannot match (marked changed up front). */
function prepare(a: Side, b: Side): void {
  const lim = Math.min(a.length, b.length);
  let head = 0;
  while (head < lim && a.ids[head] === b.ids[head]) head++;
  let tail = 0;
  while (tail < lim - head && a.ids[a.length - 1 - tail] === b.ids[b.length - 1 - tail]) tail++;
  const ranges: Array<[Side, Side]> = [
    [a, b],
    [b, a],
  ];
  const discards: Uint8Array[] = [];
  for (const [side, other] of ranges) {
    const limit = Math.min(roughSqrt(side.length), MAX_EQUAL_LIMIT);
    const counts = occurrences(other.ids, limit);
    const dis = new Uint8Array(side.length + 1);
    for (let i = head; i <= side.length - tail - 1; i++) {
      const n = counts.get(side.ids[i]!) ?? 0;
      dis[i] = n === 0 ? 0 : n >= limit ? 2 : 1;
    }
    discards.push(dis);
  }
  ranges.forEach(([side], k) => {
    const dis = discards[k]!;
    const end = side.length - tail - 1;
    let count = 0;
    for (let i = head; i <= end; i++) {
      if (dis[i] === 1 || (dis[i] === 2 && !discardMultiMatch(dis, i, head, end))) {
        side.kept[count] = i;
        side.keptIds[count] = side.ids[i]!;
        count++;
      } else {
        side.changed[i + 1] = 1;
      }
    }
    side.keptCount = count;
  });
}

interface SearchState {
  a: Side;
  b: Side;
  /** Forward and backward furthest-reaching diagonals, indexed by diagonal + offset. */
  kv: Int32Array;
  forward: number;
  backward: number;
  maxCost: number;
}

interface SplitPoint {
  i1: number;
  i2: number;
  minLow: boolean;
  minHigh: boolean;
}

/**
 * Myers' middle snake on the box (off1, off2)-(lim1, lim2), with xdiff's cut-offs for expensive inputs:
 * a long enough snake far from the corner, or the furthest path once the cost passes `maxCost`.
 */
function findSplit(s: SearchState, off1: number, lim1: number, off2: number, lim2: number, needMin: boolean): SplitPoint {
  const x = s.a.keptIds;
  const y = s.b.keptIds;
  const kv = s.kv;
  const F = s.forward;
  const B = s.backward;
  const dmin = off1 - lim2;
  const dmax = lim1 - off2;
  const fmid = off1 - off2;
  const bmid = lim1 - lim2;
  const odd = ((fmid - bmid) & 1) !== 0;
  let fmin = fmid;
  let fmax = fmid;
  let bmin = bmid;
  let bmax = bmid;
  kv[F + fmid] = off1;
  kv[B + bmid] = lim1;

  for (let ec = 1; ; ec++) {
    let gotSnake = false;
    if (fmin > dmin) kv[F + --fmin - 1] = -1;
    else ++fmin;
    if (fmax < dmax) kv[F + ++fmax + 1] = -1;
    else --fmax;

    for (let d = fmax; d >= fmin; d -= 2) {
      const left = kv[F + d - 1]!;
      const right = kv[F + d + 1]!;
      let i1 = left >= right ? left + 1 : right;
      const prev = i1;
      let i2 = i1 - d;
      while (i1 < lim1 && i2 < lim2 && x[i1] === y[i2]) {
        i1++;
        i2++;
      }
      if (i1 - prev > SNAKE_COUNT) gotSnake = true;
      kv[F + d] = i1;
      if (odd && bmin <= d && d <= bmax && kv[B + d]! <= i1) return { i1, i2, minLow: true, minHigh: true };
    }

    if (bmin > dmin) kv[B + --bmin - 1] = LINE_MAX;
    else ++bmin;
    if (bmax < dmax) kv[B + ++bmax + 1] = LINE_MAX;
    else --bmax;

    for (let d = bmax; d >= bmin; d -= 2) {
      const left = kv[B + d - 1]!;
      const right = kv[B + d + 1]!;
      let i1 = left < right ? left : right - 1;
      const prev = i1;
      let i2 = i1 - d;
      while (i1 > off1 && i2 > off2 && x[i1 - 1] === y[i2 - 1]) {
        i1--;
        i2--;
      }
      if (prev - i1 > SNAKE_COUNT) gotSnake = true;
      kv[B + d] = i1;
      if (!odd && fmin <= d && d <= fmax && i1 <= kv[F + d]!) return { i1, i2, minLow: true, minHigh: true };
    }

    if (needMin) continue;

    if (gotSnake && ec > HEURISTIC_MIN_COST) {
      let best = 0;
      let found: SplitPoint | undefined;
      for (let d = fmax; d >= fmin; d -= 2) {
        const dd = d > fmid ? d - fmid : fmid - d;
        const i1 = kv[F + d]!;
        const i2 = i1 - d;
        const v = i1 - off1 + (i2 - off2) - dd;
        if (v > HEURISTIC_FACTOR * ec && v > best && off1 + SNAKE_COUNT <= i1 && i1 < lim1 && off2 + SNAKE_COUNT <= i2 && i2 < lim2) {
          for (let k = 1; x[i1 - k] === y[i2 - k]; k++) {
            if (k === SNAKE_COUNT) {
              best = v;
              found = { i1, i2, minLow: true, minHigh: false };
              break;
            }
          }
        }
      }
      if (found) return found;
      best = 0;
      for (let d = bmax; d >= bmin; d -= 2) {
        const dd = d > bmid ? d - bmid : bmid - d;
        const i1 = kv[B + d]!;
        const i2 = i1 - d;
        const v = lim1 - i1 + (lim2 - i2) - dd;
        if (v > HEURISTIC_FACTOR * ec && v > best && off1 < i1 && i1 <= lim1 - SNAKE_COUNT && off2 < i2 && i2 <= lim2 - SNAKE_COUNT) {
          for (let k = 0; x[i1 + k] === y[i2 + k]; k++) {
            if (k === SNAKE_COUNT - 1) {
              best = v;
              found = { i1, i2, minLow: false, minHigh: true };
              break;
            }
          }
        }
      }
      if (found) return found;
    }

    if (ec >= s.maxCost) {
      let fbest = -1;
      let fbest1 = -1;
      for (let d = fmax; d >= fmin; d -= 2) {
        let i1 = Math.min(kv[F + d]!, lim1);
        let i2 = i1 - d;
        if (lim2 < i2) {
          i1 = lim2 + d;
          i2 = lim2;
        }
        if (fbest < i1 + i2) {
          fbest = i1 + i2;
          fbest1 = i1;
        }
      }
      let bbest = LINE_MAX;
      let bbest1 = LINE_MAX;
      for (let d = bmax; d >= bmin; d -= 2) {
        let i1 = Math.max(off1, kv[B + d]!);
        let i2 = i1 - d;
        if (i2 < off2) {
          i1 = off2 + d;
          i2 = off2;
        }
        if (i1 + i2 < bbest) {
          bbest = i1 + i2;
          bbest1 = i1;
        }
      }
      if (lim1 + lim2 - bbest < fbest - (off1 + off2)) return { i1: fbest1, i2: fbest - fbest1, minLow: true, minHigh: false };
      return { i1: bbest1, i2: bbest - bbest1, minLow: false, minHigh: true };
    }
  }
}

/** Divide and conquer over the kept lines; changed lines are marked on the sides. */
function compareRanges(s: SearchState, off1: number, lim1: number, off2: number, lim2: number, needMin: boolean): void {
  const x = s.a.keptIds;
  const y = s.b.keptIds;
  while (off1 < lim1 && off2 < lim2 && x[off1] === y[off2]) {
    off1++;
    off2++;
  }
  while (off1 < lim1 && off2 < lim2 && x[lim1 - 1] === y[lim2 - 1]) {
    lim1--;
    lim2--;
  }
  if (off1 === lim1) {
    for (; off2 < lim2; off2++) s.b.changed[s.b.kept[off2]! + 1] = 1;
  } else if (off2 === lim2) {
    for (; off1 < lim1; off1++) s.a.changed[s.a.kept[off1]! + 1] = 1;
  } else {
    const split = findSplit(s, off1, lim1, off2, lim2, needMin);
    compareRanges(s, off1, split.i1, off2, split.i2, split.minLow);
    compareRanges(s, split.i1, lim1, split.i2, lim2, split.minHigh);
  }
}

interface Group {
  start: number;
  end: number;
}

const isChanged = (side: Side, i: number): boolean => side.changed[i + 1] === 1;

function groupFirst(side: Side): Group {
  const g = { start: 0, end: 0 };
  while (isChanged(side, g.end)) g.end++;
  return g;
}

function groupNext(side: Side, g: Group): boolean {
  if (g.end === side.length) return false;
  g.start = g.end + 1;
  g.end = g.start;
  while (isChanged(side, g.end)) g.end++;
  return true;
}

function groupPrevious(side: Side, g: Group): boolean {
  if (g.start === 0) return false;
  g.end = g.start - 1;
  g.start = g.end;
  while (isChanged(side, g.start - 1)) g.start--;
  return true;
}

function slideDown(side: Side, g: Group): boolean {
  if (g.end < side.length && side.ids[g.start] === side.ids[g.end]) {
    side.changed[g.start++ + 1] = 0;
    side.changed[g.end++ + 1] = 1;
    while (isChanged(side, g.end)) g.end++;
    return true;
  }
  return false;
}

function slideUp(side: Side, g: Group): boolean {
  if (g.start > 0 && side.ids[g.start - 1] === side.ids[g.end - 1]) {
    side.changed[--g.start + 1] = 1;
    side.changed[--g.end + 1] = 0;
    while (isChanged(side, g.start - 1)) g.start--;
    return true;
  }
  return false;
}

function syncBroken(where: string): never {
  throw new Error(`line diff: change groups out of step (${where})`);
}

/**
 * Slide each group of changed lines as far down as it goes, merging groups it bumps into; then, if it
 * could have lined up with a change on the other side, move it back there (git's slider compaction).
 */
function compact(side: Side, other: Side): void {
  const g = groupFirst(side);
  const go = groupFirst(other);
  for (;;) {
    if (g.end !== g.start) {
      let size: number;
      let earliestEnd: number;
      let endMatchingOther: number;
      do {
        size = g.end - g.start;
        endMatchingOther = -1;
        while (slideUp(side, g)) if (!groupPrevious(other, go)) syncBroken("up");
        earliestEnd = g.end;
        if (go.end > go.start) endMatchingOther = g.end;
        while (slideDown(side, g)) {
          if (!groupNext(other, go)) syncBroken("down");
          if (go.end > go.start) endMatchingOther = g.end;
        }
      } while (size !== g.end - g.start);
      if (g.end !== earliestEnd && endMatchingOther !== -1) {
        while (go.end === go.start) {
          if (!slideUp(side, g)) syncBroken("match");
          if (!groupPrevious(other, go)) syncBroken("match");
        }
      }
    }
    if (!groupNext(side, g)) break;
    if (!groupNext(other, go)) syncBroken("next");
  }
}

function changesOf(a: Side, b: Side): LineChange[] {
  const out: LineChange[] = [];
  let i1 = 0;
  let i2 = 0;
  while (i1 < a.length || i2 < b.length) {
    if (isChanged(a, i1) || isChanged(b, i2)) {
      const s1 = i1;
      const s2 = i2;
      while (isChanged(a, i1)) i1++;
      while (isChanged(b, i2)) i2++;
      out.push({ i1: s1, chg1: i1 - s1, i2: s2, chg2: i2 - s2 });
    } else {
      i1++;
      i2++;
    }
  }
  return out;
}

/** Give every distinct line a small integer id, shared by both sides. */
function lineIds(a: readonly string[], b: readonly string[]): [Int32Array, Int32Array] {
  const ids = new Map<string, number>();
  const of = (lines: readonly string[]) => {
    const out = new Int32Array(lines.length);
    lines.forEach((line, i) => {
      let id = ids.get(line);
      if (id === undefined) {
        id = ids.size;
        ids.set(line, id);
      }
      out[i] = id;
    });
    return out;
  };
  return [of(a), of(b)];
}

/** The changes that turn lines `a` into lines `b`, in order, as git's default diff would report them. */
export function diffLines(a: readonly string[], b: readonly string[]): LineChange[] {
  const [idsA, idsB] = lineIds(a, b);
  const sa = newSide(idsA);
  const sb = newSide(idsB);
  prepare(sa, sb);
  const diagonals = sa.keptCount + sb.keptCount + 3;
  const state: SearchState = {
    a: sa,
    b: sb,
    kv: new Int32Array(2 * diagonals + 2),
    forward: sb.keptCount + 1,
    backward: diagonals + sb.keptCount + 1,
    maxCost: Math.max(MAX_COST_MIN, roughSqrt(diagonals)),
  };
  compareRanges(state, 0, sa.keptCount, 0, sb.keptCount, false);
  compact(sa, sb);
  compact(sb, sa);
  return changesOf(sa, sb);
}
