import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import { onInterrupt } from "./cleanup.js";
import { processAlive } from "./process-alive.js";


/**
 * Where paved keeps a file about a repository it is changing (`lock`, `journal`): inside `.git` when the
 * directory has one, so it never shows in the work tree; else beside the directory.
 */
export function stateFile(target: string, kind: string): string {
  const gitDir = path.join(target, ".git");
  return existsSync(gitDir) && statSync(gitDir).isDirectory() ? path.join(gitDir, `paved.${kind}`) : path.join(path.dirname(target), `.${path.basename(target)}.paved.${kind}`);
}

/**
 * An exclusive lock on an existing repository: `.git/paved.lock` (or `.paved.lock` beside the directory when it
 * has no .git folder): a second paved process on the same repository refuses instead of interleaving.
 * A lock left by a dead process is taken over.
 */
export function lockTarget(target: string): () => void {
  const file = stateFile(target, "lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      const release = () => rmSync(file, { force: true });
      const forget = onInterrupt(release);
      return () => {
        forget();
        release();
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new UserError(`cannot create ${file}: ${(error as Error).message}`, { hint: "check that the parent directory exists and is writable" });
      }
      const holder = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
        throw new UserError(`another paved process (pid ${holder}) is working on ${target}`, {
          hint: `wait for it to finish, or remove ${file} if that process is gone`,
        });
      }
      rmSync(file, { force: true });
    }
  }
  throw new UserError(`cannot lock ${target}`, { hint: `remove ${file} and try again` });
}
