import { createHash, randomUUID } from "node:crypto";
import { closeSync, constants, linkSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { UserError } from "../errors.js";
import { onInterrupt } from "./cleanup.js";
import { fileSystemError } from "./fs-error.js";
import { unlinkQuietly } from "./paths.js";
import { processAlive } from "./process-alive.js";

/**
 * Where paved keeps what it knows about a repository while changing it (lock, upgrade journal): the repository's
 * own git dir (`git rev-parse --absolute-git-dir`, per worktree), which git never tracks, so a repository cannot
 * ship (commit) a forged journal or plant a symlink where paved writes its state.
 */
export interface RepositoryState {
  /** The service directory, realpath. */
  root: string;
  /** The git dir of the worktree holding it (absolute). */
  gitDir: string;
  /** The service's path inside the repository: "" at the top, "sub/dir/" below it. */
  prefix: string;
  /** The commit HEAD named when this was asked ("" in a repository without commits). */
  head: string;
}

/** The git repository holding `dir`, or undefined when it is in none (or git cannot use it). */
export async function repositoryState(dir: string): Promise<RepositoryState | undefined> {
  const { tryGit } = await import("../git/run.js");
  // HEAD in the same process (the journal binds to it): `--verify -q` prints nothing for it and exits 1 when
  // the repository has no commit yet, after printing the rest.
  const result = await tryGit(dir, [
    "rev-parse",
    "--is-inside-work-tree",
    "--absolute-git-dir",
    "--show-prefix",
    "--verify",
    "-q",
    "HEAD",
  ]).catch((error: unknown) => {
    if (error instanceof UserError) return undefined; // git did not start
    throw error;
  });
  if (!result || (result.exitCode !== 0 && result.exitCode !== 1)) return undefined;
  const [inside, gitDir, prefix = "", head = ""] = String(result.stdout).split("\n");
  // A service folder laid out like a bare repository is no work tree: its "git dir" would be the folder itself.
  if (inside !== "true" || !gitDir) return undefined;
  return { root: realpathSync(dir), gitDir, prefix: prefix.trim(), head: result.exitCode === 0 ? head.trim() : "" };
}

/**
 * The file for `kind` ("journal") of this service in its git dir: `paved.<kind>` for a service at the top of the
 * repository, `paved-<hash of its path>.<kind>` for one in a subfolder (several services share a git dir).
 */
export function stateFile(state: RepositoryState, kind: string): string {
  if (state.prefix === "") return path.join(state.gitDir, `paved.${kind}`);
  const id = createHash("sha256").update(state.prefix).digest("hex").slice(0, 16);
  return path.join(state.gitDir, `paved-${id}.${kind}`);
}

/**
 * Without a git repository (doctor --fix on a plain folder) the lock lives in a per-user directory paved creates
 * with mode 0700 in the system temp dir, keyed by the folder's real path: nothing in the folder can pre-populate it.
 */
function privateLockFile(dir: string): string {
  const base = path.join(tmpdir(), `paved-locks-${process.getuid?.() ?? "user"}`);
  try {
    mkdirSync(base, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw fileSystemError(error, `create ${base}`);
  }
  const stat = lstatSync(base);
  if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid()) || (stat.mode & 0o077) !== 0) {
    throw new UserError(`${base} is not a private directory of yours`, {
      hint: `remove ${base}; paved keeps its locks for folders outside git there`,
    });
  }
  const id = createHash("sha256").update(realpathSync(dir)).digest("hex").slice(0, 32);
  return path.join(base, `${id}.lock`);
}

function readHolder(file: string): { pid: number; text: string } | undefined {
  try {
    const text = readFileSync(file, "utf8");
    return { pid: Number(text.trim().split(/\s+/)[0]), text };
  } catch {
    return undefined;
  }
}

/**
 * An exclusive lock file holding `<pid> <random token>`. It appears with its content already in it: the token is
 * written to a private temp file (O_EXCL|O_NOFOLLOW) that is then hard-linked to the lock's name, which fails
 * while another lock exists; so no other process ever reads an empty lock and takes it for a dead one's. A lock
 * left by a dead process is taken over. Releasing removes the file only while it still holds this lock's token:
 * a process never removes a lock it does not own (a second release, or one after a stale takeover, is a no-op).
 */
export function acquireLock(file: string, what: string): () => void {
  const token = `${process.pid} ${randomUUID()}\n`;
  const temp = `${file}.${randomUUID()}`;
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, token);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    unlinkQuietly(temp);
    throw fileSystemError(error, `create the lock ${file}`);
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(temp, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw fileSystemError(error, `create the lock ${file}`);
        const holder = readHolder(file);
        if (holder && Number.isInteger(holder.pid) && holder.pid > 0 && processAlive(holder.pid)) {
          throw new UserError(`another paved process (pid ${holder.pid}) is working on ${what}`, {
            hint: `wait for it to finish, or remove ${file} if that process is gone`,
          });
        }
        // Stale (its process is gone): remove it only if it is still the one just read, then try again.
        if (holder && readHolder(file)?.text === holder.text) unlinkQuietly(file);
        continue;
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        if (readHolder(file)?.text === token) unlinkQuietly(file);
      };
      const forget = onInterrupt(release);
      return () => {
        forget();
        release();
      };
    }
  } finally {
    unlinkQuietly(temp);
  }
  throw new UserError(`cannot lock ${what}`, { hint: `remove ${file} and try again` });
}

/**
 * Run `work` holding the lock on the repository that holds `dir` (`paved.lock` in its git dir; one paved process
 * at a time per worktree, since they share its index), or on the folder itself when it is in no repository. The
 * lock is taken before anything is read and released when `work` settles, whatever happens.
 */
export async function withRepositoryLock<T>(dir: string, work: (state: RepositoryState | undefined) => Promise<T>): Promise<T> {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    throw new UserError(`${dir} does not exist`, { hint: "pass the service's directory" });
  }
  if (!statSync(real).isDirectory()) throw new UserError(`${dir} is not a directory`, { hint: "pass the service's directory" });
  const state = await repositoryState(real);
  const release = acquireLock(state ? path.join(state.gitDir, "paved.lock") : privateLockFile(real), real);
  try {
    return await work(state);
  } finally {
    release();
  }
}
