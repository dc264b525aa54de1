/**
 * A short unified-diff excerpt of the first changed region between two texts: enough for a hint,
 * not a full diff (`paved diff` is the tool for that). Lines are compared after removing "\r".
 */
export interface DiffExcerpt {
  /** 1-based line in `actual` where it first differs from `expected`. */
  line: number;
  text: string;
}

const CONTEXT = 2;
const MAX_SHOWN = 8;

export function diffExcerpt(
  expected: string,
  actual: string,
  labels = { expected: "template", actual: "working tree" },
): DiffExcerpt | undefined {
  const a = splitLines(expected);
  const b = splitLines(actual);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  if (start === a.length && start === b.length) return undefined;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const from = Math.max(0, start - CONTEXT);
  const before = a.slice(from, start);
  const removed = a.slice(start, endA);
  const added = b.slice(start, endB);
  const after = a.slice(endA, Math.min(a.length, endA + CONTEXT));
  const lines = [
    `--- ${labels.expected}`,
    `+++ ${labels.actual}`,
    `@@ -${from + 1},${before.length + removed.length + after.length} +${from + 1},${before.length + added.length + after.length} @@`,
    ...before.map((l) => ` ${l}`),
    ...capped(removed, "-"),
    ...capped(added, "+"),
    ...after.map((l) => ` ${l}`),
  ];
  return { line: Math.min(start + 1, Math.max(b.length, 1)), text: lines.join("\n") };
}

function capped(lines: string[], sign: "-" | "+"): string[] {
  const shown = lines.slice(0, MAX_SHOWN).map((l) => `${sign}${l}`);
  if (lines.length > MAX_SHOWN) shown.push(`${sign}... (${lines.length - MAX_SHOWN} more lines)`);
  return shown;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.replace(/\r/g, "").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}
