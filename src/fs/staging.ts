import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, rmdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import { onInterrupt } from "./cleanup.js";
import { processAlive } from "./process-alive.js";
import { fileSystemError } from "./fs-error.js";

const STAGING_PREFIX = ".paved-staging-";


/** The target must not exist, or be an empty directory. */
export function assertTargetFree(target: string): void {
  let stat;
  try {
    if (lstatSync(target).isSymbolicLink()) {
      throw new UserError(`${target} is a symbolic link`, { hint: "pass the real directory, or a new one" });
    }
    stat = statSync(target);
  } catch (error) {
    if (error instanceof UserError) throw error;
    return;
  }
  if (!stat.isDirectory()) {
    throw new UserError(`${target} exists and is not a directory`, { hint: "choose another target directory" });
  }
  if (readdirSync(target).length > 0) {
    throw new UserError(`${target} is not empty`, { hint: "choose a new or empty directory; paved never writes over existing files" });
  }
}

export interface CreatedParents {
  /** Remove the directories created, if nothing else was put in them (a failed run). */
  undo(): void;
  /** The run succeeded: they stay, and an interrupt no longer removes them. */
  keep(): void;
}

/** Create the target's missing parent directories, removable again if the run fails or is interrupted. */
export function createParents(target: string): CreatedParents {
  let created: string | undefined;
  try {
    created = mkdirSync(path.dirname(target), { recursive: true });
  } catch (error) {
    throw fileSystemError(error, `create ${path.dirname(target)}`);
  }
  const undo = () => removeCreatedParents(created);
  const forget = created ? onInterrupt(undo) : () => {};
  return {
    undo() {
      forget();
      undo();
    },
    keep: forget,
  };
}

function removeCreatedParents(created: string | undefined): void {
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

export interface Staging {
  /** Where the new tree is built; it becomes the target on commit. */
  dir: string;
  /** Move the tree into place as the target, then remove the staging directory. */
  commit(): void;
  /** Remove the staging directory (idempotent). */
  discard(): void;
}

function stagingHolder(root: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(root, "pid"), "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function stagingRoot(target: string): string {
  return path.join(path.dirname(target), `${STAGING_PREFIX}${path.basename(target)}`);
}

/** Remove the staging directory a killed run (SIGKILL, power loss) left for this target; a live run's is kept. */
export function removeStaleStaging(target: string): void {
  const root = stagingRoot(target);
  if (!existsSync(root)) return;
  const holder = stagingHolder(root);
  if (holder !== undefined && holder !== process.pid && processAlive(holder)) return;
  rmSync(root, { recursive: true, force: true });
}

/**
 * The staging directory `.paved-staging-<name>` beside the target (same file system, so the final move is one
 * rename). Creating it is also the lock: a second paved process on the same target refuses while the first is
 * alive. It holds `pid` and `tree/`; the tree is renamed into place on commit. It is removed on failure and on
 * SIGINT/SIGTERM; after a SIGKILL it is the only leftover, and the next run on the same target removes it.
 */
export function createStaging(target: string): Staging {
  const parent = path.dirname(target);
  const root = stagingRoot(target);
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(root);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EEXIST" || attempt > 0) throw fileSystemError(error, `write in ${parent}`);
      const holder = stagingHolder(root);
      if (holder !== undefined && holder !== process.pid && processAlive(holder)) {
        throw new UserError(`another paved process (pid ${holder}) is creating ${target}`, {
          hint: "wait for it to finish; paved never lets two runs write the same target",
        });
      }
      rmSync(root, { recursive: true, force: true });
    }
  }
  let done = false;
  const discard = () => {
    if (!done) rmSync(root, { recursive: true, force: true });
    done = true;
  };
  const forget = onInterrupt(discard);
  const dir = path.join(root, "tree");
  try {
    writeFileSync(path.join(root, "pid"), String(process.pid));
    mkdirSync(dir);
  } catch (error) {
    forget();
    discard();
    throw fileSystemError(error, `write in ${parent}`);
  }
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
      try {
        renameSync(dir, target);
      } catch (error) {
        throw fileSystemError(error, `move the new repository to ${target}`);
      }
      forget();
      discard();
    },
  };
}
