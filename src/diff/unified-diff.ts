import { diffLines, splitLines, type LineChange } from "./xdiff/line-diff.js";

/*
 * Unified diffs like `git diff`. Texts are strings whose line breaks are "\n"; for files pass byte strings
 * (`byteString` in src/tree.ts) and write the result back with `fromByteString`, so any encoding that git
 * treats as text (Latin-1, a BOM, invalid UTF-8) comes out as the same bytes git prints.
 */

export interface UnifiedDiffOptions {
  /** Lines of context around each change (git's default is 3). */
  context?: number;
}

export interface DiffCounts {
  added: number;
  removed: number;
}

const NO_NEWLINE = "\\ No newline at end of file\n";

function range(start: number, count: number): string {
  const first = count === 0 ? start : start + 1;
  return count === 1 ? `${first}` : `${first},${count}`;
}

function emitLine(out: string[], sign: string, line: string): void {
  out.push(sign + line);
  if (!line.endsWith("\n")) out.push("\n" + NO_NEWLINE);
}

/** The changes of one hunk, in order; `first` and `last` bound its context. */
interface ChangeGroup {
  changes: LineChange[];
  first: LineChange;
  last: LineChange;
}

/** Group changes whose gap is at most 2 * context lines into one hunk, like git. */
function groupChanges(changes: LineChange[], context: number): ChangeGroup[] {
  const groups: ChangeGroup[] = [];
  let group: ChangeGroup | undefined;
  for (const change of changes) {
    if (group && change.i1 - (group.last.i1 + group.last.chg1) <= 2 * context) {
      group.changes.push(change);
      group.last = change;
    } else {
      group = { changes: [change], first: change, last: change };
      groups.push(group);
    }
  }
  return groups;
}

/** Line `i` of `lines`, which the diff says exists. */
function nthLine(lines: readonly string[], i: number): string {
  const line = lines[i];
  if (line === undefined) throw new Error(`bug: the diff names line ${i} of ${lines.length}`);
  return line;
}

/**
 * The hunks (`@@ ... @@` and their lines) of a unified diff from `oldText` to `newText`; "" when equal.
 * The file header lines (`--- a/...`, `+++ b/...`) are the caller's.
 */
export function unifiedHunks(oldText: string, newText: string, options: UnifiedDiffOptions = {}): string {
  const context = options.context ?? 3;
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const out: string[] = [];
  for (const { changes, first, last } of groupChanges(diffLines(a, b), context)) {
    const start1 = Math.max(0, first.i1 - context);
    const start2 = Math.max(0, first.i2 - context);
    const end1 = Math.min(a.length, last.i1 + last.chg1 + context);
    const end2 = Math.min(b.length, last.i2 + last.chg2 + context);
    out.push(`@@ -${range(start1, end1 - start1)} +${range(start2, end2 - start2)} @@\n`);
    let i1 = start1;
    for (const change of changes) {
      for (; i1 < change.i1; i1++) emitLine(out, " ", nthLine(a, i1));
      for (let k = 0; k < change.chg1; k++) emitLine(out, "-", nthLine(a, change.i1 + k));
      for (let k = 0; k < change.chg2; k++) emitLine(out, "+", nthLine(b, change.i2 + k));
      i1 = change.i1 + change.chg1;
    }
    for (; i1 < end1; i1++) emitLine(out, " ", nthLine(a, i1));
  }
  return out.join("");
}

/** A whole unified diff with `---`/`+++` headers; "" when the texts are equal. */
export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string, options: UnifiedDiffOptions = {}): string {
  const hunks = unifiedHunks(oldText, newText, options);
  return hunks ? `--- ${oldName}\n+++ ${newName}\n${hunks}` : "";
}

/** Lines added and removed between two texts. */
export function countChanges(oldText: string, newText: string): DiffCounts {
  let added = 0;
  let removed = 0;
  for (const c of diffLines(splitLines(oldText), splitLines(newText))) {
    added += c.chg2;
    removed += c.chg1;
  }
  return { added, removed };
}
