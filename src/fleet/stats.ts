import type { Distribution } from "./model.js";

/** Whole days from `from` to `to` (both YYYY-MM-DD, UTC). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The UTC calendar day of a git ISO date (`2026-10-06T09:00:00+02:00` -> `2026-10-06`). */
export function utcDay(iso: string): string {
  return new Date(iso).toISOString().slice(0, 10);
}

/** Median (mean of the two middle values for an even count) and p90 (nearest rank) of a sample. */
export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { count: 0, median: null, p90: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (i: number): number => {
    const value = sorted[i];
    if (value === undefined) throw new Error(`bug: rank ${i} of ${sorted.length} values`);
    return value;
  };
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
  const p90 = at(Math.ceil(0.9 * sorted.length) - 1);
  return { count: sorted.length, median, p90 };
}

/** A rate rounded to 4 places (JSON stays stable across runs and merges); null when nothing counted. */
export function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;
}
