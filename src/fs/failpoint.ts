/**
 * Test-only failpoints (e.g. die as from SIGKILL halfway through an upgrade's renames). paved itself never arms
 * one: no environment variable or file does. A test arms them by preloading test/support/failpoints.mjs
 * (`NODE_OPTIONS=--import ...`), which sets a hook on globalThis; a release run without that preload (the only
 * way to set the hook is to run code inside the process already) passes every point as a no-op.
 */
type FailpointHook = (name: string, detail: Readonly<Record<string, number>>) => void;

const HOOK = Symbol.for("paved.test.failpoint");

export function failpoint(name: string, detail: Readonly<Record<string, number>> = {}): void {
  const hook = (globalThis as Record<symbol, unknown>)[HOOK];
  if (typeof hook === "function") (hook as FailpointHook)(name, detail);
}
