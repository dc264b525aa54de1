import { expect } from "vitest";
import { UserError } from "../../src/errors.js";

/**
 * The only outcomes an input from outside may have: accepted, or refused with a UserError (exit 2, a message).
 * Anything else would reach the user as exit 70, "paved hit a bug", and fails the test. Returns whether it was
 * accepted, so a fuzz test can check that enough cases got past the parse to mean something.
 */
export function acceptedOrRefused(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (error) {
    return refused(error);
  }
}

/** acceptedOrRefused for an async run. */
export async function acceptedOrRefusedAsync(run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (error) {
    return refused(error);
  }
}

function refused(error: unknown): false {
  if (!(error instanceof UserError)) throw error;
  expect(error.exitCode).toBe(2);
  expect(error.message.length).toBeGreaterThan(0);
  return false;
}
