import { z } from "zod";

/**
 * The day a report is judged as of (YYYY-MM-DD, UTC): version-lag grace periods and waiver expiry compare
 * against it. Commands read the clock once, at the edge (`--as-of` or today), and pass the date down as an
 * engine option, so a report is reproducible and a fleet of reports can share one date.
 */
export type AsOf = string;

/** True for a real day of the proleptic Gregorian calendar written as YYYY-MM-DD (2026-02-30 is not). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** `--as-of` as the user typed it. */
export const asOfSchema = z.string().refine(isCalendarDate, "must be a calendar date as YYYY-MM-DD, e.g. 2026-12-01");

/** Today in UTC: the only place paved reads the clock to judge dates. */
export function todayUtc(now: Date = new Date()): AsOf {
  return now.toISOString().slice(0, 10);
}

/** The day `days` after `date` (both YYYY-MM-DD, UTC). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
