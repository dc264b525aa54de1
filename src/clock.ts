/**
 * Milliseconds on a monotonic clock: paved's one clock for durations. Not `performance.now()`: the global
 * `performance` loads node:perf_hooks (ten modules) on first use, a noticeable part of a `paved new` that only
 * wants its duration.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
