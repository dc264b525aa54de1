import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  rmdirSync,
  renameSync,
  type Stats,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import { onInterrupt } from "./cleanup.js";
import { processAlive } from "./process-alive.js";
import { fileSystemError } from "./fs-error.js";

const STAGING_PREFIX = ".paved-staging-";

/** The target must not exist, or be an empty directory. */
export function assertTargetFree(target: string): void {
  let stat: Stats;
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

/** Whether a staging directory belongs to a run that is still alive (not this one). */
function heldByLiveRun(root: string): boolean {
  const holder = stagingHolder(root);
  return holder !== undefined && holder !== process.pid && processAlive(holder);
}

/**
 * Remove a staging directory whose run is gone, without ever removing a live one: it is first renamed to a
 * private name (atomic), and removed only if what was moved is still the dead run's (else it is put back).
 */
function removeIfStale(root: string): void {
  const holder = stagingHolder(root);
  if (heldByLiveRun(root)) return;
  const grave = `${root}.stale-${staleSuffix()}`;
  try {
    renameSync(root, grave);
  } catch {
    return; // gone already, or taken over: nothing of ours to remove
  }
  if (stagingHolder(grave) !== holder && heldByLiveRun(grave)) {
    try {
      renameSync(grave, root);
    } catch {
      // another run took the name meanwhile; the displaced run fails on its own writes, nothing is lost
    }
    return;
  }
  rmSync(grave, { recursive: true, force: true });
}

/** Remove the staging directories a killed run (SIGKILL, power loss) left for this target; a live run's is kept. */
export function removeStaleStaging(target: string): void {
  const root = stagingRoot(target);
  let siblings: string[];
  try {
    siblings = readdirSync(path.dirname(target));
  } catch {
    return;
  }
  const base = path.basename(root);
  for (const name of siblings) {
    const full = path.join(path.dirname(target), name);
    if (name === base || name.startsWith(`${base}.stale-`)) removeIfStale(full);
    else if (name.startsWith(`${base}.new-`)) {
      // A directory under construction has no pid file for a moment; its name carries the pid from the start
      // (killed before the pid file, it would otherwise stay forever). Only one whose run is gone is removed.
      const owner = stagingHolder(full) ?? pidInPendingName(name.slice(`${base}.new-`.length));
      if (owner !== undefined && owner !== process.pid && !processAlive(owner)) removeIfStale(full);
    }
  }
}

/** The pid in a directory-under-construction's name (`<pid>-<random>`, see createStaging); undefined in an older paved's. */
function pidInPendingName(suffix: string): number | undefined {
  const pid = /^(\d+)-/.exec(suffix)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/**
 * The staging directory `.paved-staging-<name>` beside the target (same file system, so the final move is one
 * rename). Creating it is also the lock: a second paved process on the same target refuses while the first is
 * alive. It holds `pid` and `tree/`; the tree is renamed into place on commit. It is removed on failure and on
 * SIGINT/SIGTERM; after a SIGKILL it is the only leftover, and the next run on the same target removes it.
 *
 * It appears with its owner record already inside: it is built under a random name (`<name>.new-<pid>-<random>`,
 * pid file and tree/ included) and renamed into the well-known name, which fails while another run's exists. So no
 * other run ever sees it without a pid and mistakes it for a killed run's.
 */
export function createStaging(target: string): Staging {
  const parent = path.dirname(target);
  const root = stagingRoot(target);
  let pending: string;
  try {
    // The pid in the name: a run killed before it writes the pid file is still known to be gone.
    pending = mkdtempSync(`${root}.new-${process.pid}-`);
  } catch (error) {
    throw fileSystemError(error, `write in ${parent}`);
  }
  const dropPending = () => rmSync(pending, { recursive: true, force: true });
  const forgetPending = onInterrupt(dropPending);
  try {
    writeFileSync(path.join(pending, "pid"), String(process.pid), { flag: "wx" });
    mkdirSync(path.join(pending, "tree"));
    for (let attempt = 0; ; attempt++) {
      try {
        renameSync(pending, root);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "EEXIST" && code !== "ENOTEMPTY") throw error;
        if (attempt > 2)
          throw new UserError(`cannot create ${root}`, { hint: `remove ${root} if no paved process is creating ${target}, and try again` });
        const holder = stagingHolder(root);
        if (holder !== undefined && heldByLiveRun(root)) {
          throw new UserError(`another paved process (pid ${holder}) is creating ${target}`, {
            hint: "wait for it to finish; paved never lets two runs write the same target",
          });
        }
        removeIfStale(root);
      }
    }
  } catch (error) {
    forgetPending();
    dropPending();
    throw fileSystemError(error, `write in ${parent}`);
  }
  forgetPending();
  let done = false;
  const discard = () => {
    if (done) return;
    done = true;
    // Moved aside, then removed: emptied in place, the well-known name would be an empty directory for a moment,
    // and another run's staging directory can be renamed onto an empty one (rename(2) replaces it), after which
    // this removal fails half-way (ENOTEMPTY) or removes the other run's. A `.stale-` name the next run clears if
    // this process dies mid-removal.
    const grave = `${root}.stale-${staleSuffix()}`;
    try {
      renameSync(root, grave);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      rmSync(root, { recursive: true, force: true });
      return;
    }
    rmSync(grave, { recursive: true, force: true });
  };
  const forget = onInterrupt(discard);
  const dir = path.join(root, "tree");
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

/**
 * A name for a staging folder set aside: unique, not secret. Nothing is ever followed through it: a rename onto
 * a file or symlink in the way fails (and the folder is then removed where it is), onto an empty folder replaces
 * it. Math.random, not node:crypto: loading that was a noticeable part of a `paved new`, which sets its staging
 * folder aside every time.
 */
function staleSuffix(): string {
  return `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}
