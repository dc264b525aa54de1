/**
 * For long synchronous loops: returns a function to await once per item that lets the event loop run
 * (signal handlers, e.g. Ctrl-C) every `every` items, and costs nothing in between.
 */
export function yieldEvery(every: number): () => Promise<void> | undefined {
  let count = 0;
  // The global setImmediate: node:timers/promises would be one more module to load at start-up.
  return () => (++count % every === 0 ? new Promise<void>((resolve) => setImmediate(resolve)) : undefined);
}
