import { mkdirSync, readdirSync, rmSync, rmdirSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import { onInterrupt } from "./cleanup.js";

const STAGING_PREFIX = ".paved-staging-";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The target must not exist, or be an empty directory. */
export function assertTargetFree(target: string): void {
  let stat;
  try {
    stat = statSync(target);
  } catch {
    return;
  }
  if (!stat.isDirectory()) {
    throw new UserError(`${target} exists and is not a directory`, { hint: "choose another target directory" });
  }
  if (readdirSync(target).length > 0) {
    throw new UserError(`${target} is not empty`, { hint: "choose a new or empty directory; paved never writes over existing files" });
  }
}

/**
 * Create the target's missing parent directories; returns the topmost one created, so a failed run can remove it.
 */
export function createParents(target: string): string | undefined {
  const created = mkdirSync(path.dirname(target), { recursive: true });
  if (created) onInterrupt(() => removeCreatedParents(created));
  return created;
}

/** Remove parents made by createParents, if nothing else was put in them meanwhile. */
export function removeCreatedParents(created: string | undefined): void {
  if (!created) return;
  try {
    rmdirEmptyChain(created);
  } catch {
    // not empty: someone else is using it now
  }
}

function rmdirEmptyChain(dir: string): void {
  for (const entry of readdirSync(dir)) rmdirEmptyChain(path.join(dir, entry));
  rmdirSync(dir);
}

/** Remove staging directories left by paved processes that were killed (SIGKILL, power loss). */
export function removeStaleStaging(parent: string, name: string): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return removed;
  }
  const prefix = `${STAGING_PREFIX}${name}-`;
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length));
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) {
      rmSync(path.join(parent, entry), { recursive: true, force: true });
      removed.push(entry);
    }
  }
  return removed;
}

export interface Staging {
  dir: string;
  /** Move the staging directory into place as the target; after this, nothing is cleaned up. */
  commit(): void;
  /** Remove the staging directory (idempotent). */
  discard(): void;
}

/**
 * A staging directory beside the target (same file system, so the final move is one rename).
 * It is removed on failure and on SIGINT/SIGTERM.
 */
export function createStaging(target: string): Staging {
  const parent = path.dirname(target);
  const name = path.basename(target);
  mkdirSync(parent, { recursive: true });
  removeStaleStaging(parent, name);
  const dir = path.join(parent, `${STAGING_PREFIX}${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  try {
    mkdirSync(dir);
  } catch (error) {
    throw new UserError(`cannot write in ${parent}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: "choose a target in a writable directory",
    });
  }
  let done = false;
  const discard = () => {
    if (!done) rmSync(dir, { recursive: true, force: true });
    done = true;
  };
  const forget = onInterrupt(discard);
  return {
    dir,
    discard() {
      forget();
      discard();
    },
    commit() {
      assertTargetFree(target);
      try {
        rmdirSync(target);
      } catch {
        // it did not exist
      }
      renameSync(dir, target);
      done = true;
      forget();
    },
  };
}
