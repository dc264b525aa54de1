import { existsSync, readFileSync, rmSync } from "node:fs";
import { z } from "zod";
import { UserError } from "../errors.js";
import { stateFile, type RepositoryState } from "../fs/lock.js";
import { assertRealParents, replaceEntry, writeStateFile } from "../fs/safe-write.js";
import type { FileEntry, FileTree } from "../tree.js";
import { repositoryPathOf, repositoryTopOf } from "../monorepo/root-files.js";

/**
 * An upgrade that was applied but needs a person before it can be committed (conflicts, kept files, a failed
 * verify). Recorded in `.git/paved.upgrade` so `paved upgrade --abort` can put every touched path back as it
 * was when the upgrade started, and `--continue` can commit with the release notes and go on to the target.
 */
const entrySchema = z.object({ data: z.string(), mode: z.number(), symlink: z.string().optional() }).strict();

export const inProgressSchema = z
  .object({
    template: z.string(),
    /** The version recorded before the upgrade started, and the one this run reached. */
    from: z.string(),
    reached: z.string(),
    /** The version asked for; --continue goes on to it. */
    target: z.string(),
    /** HEAD when the upgrade started. */
    head: z.string(),
    sourceId: z.string(),
    /** What the next run needs from the first one's flags. */
    commit: z.boolean(),
    verify: z.boolean(),
    acceptKept: z.boolean(),
    conflictStyle: z.enum(["inline", "rej"]),
    /** The commit message --continue uses (release notes of the versions crossed). */
    message: z.string(),
    /** Every path the upgrade changed, with its content before (null: it did not exist). */
    touched: z.array(z.object({ path: z.string(), original: entrySchema.nullable() }).strict()),
  })
  .strict();
export type InProgress = z.infer<typeof inProgressSchema>;

/** In the repository's git dir, beside the journal and the lock (nothing the repository ships can plant it). */
export function inProgressFile(repository: RepositoryState): string {
  return stateFile(repository, "upgrade");
}

export function originalsOf(paths: Iterable<string>, before: FileTree): InProgress["touched"] {
  return [...paths].sort().map((p) => {
    const entry = before.get(p);
    return {
      path: p,
      original: entry
        ? {
            data: Buffer.from(entry.data).toString("base64"),
            mode: entry.mode,
            ...(entry.symlink !== undefined ? { symlink: entry.symlink } : {}),
          }
        : null,
    };
  });
}

export function saveInProgress(repository: RepositoryState, state: InProgress): void {
  writeStateFile(inProgressFile(repository), JSON.stringify(state), "the upgrade's progress");
}

export function clearInProgress(repository: RepositoryState): void {
  rmSync(inProgressFile(repository), { force: true });
}

export function readInProgress(repository: RepositoryState): InProgress | undefined {
  const file = inProgressFile(repository);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    raw = undefined;
  }
  const parsed = inProgressSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UserError(`${file} is damaged: paved cannot tell which upgrade is in progress`, {
      hint: "restore with git (`git reset --hard` discards every uncommitted change), then delete that file",
    });
  }
  return parsed.data;
}

export function requireInProgress(repository: RepositoryState, flag: string): InProgress {
  const state = readInProgress(repository);
  if (!state) {
    throw new UserError(`no paved upgrade is in progress in ${repository.root}`, {
      hint: "an upgrade is in progress only after `paved upgrade` stopped for conflicts, kept files or a failed --verify",
      fields: { flag },
    });
  }
  return state;
}

/** Put every path the upgrade touched back as it was before it started. */
export function restoreOriginals(repository: RepositoryState, state: InProgress): void {
  // From the repository's top: a service's root files (`../../.github/x`) are restored with its own files.
  const top = repositoryTopOf(repository.root, repository.prefix);
  for (const t of state.touched) {
    const at = repositoryPathOf(repository.prefix, t.path);
    if (!t.original) {
      rmSync(assertRealParents(top, at), { force: true, recursive: false });
      continue;
    }
    replaceEntry(top, at, entryOf(t.original));
  }
}

export function entryOf(original: NonNullable<InProgress["touched"][number]["original"]>): FileEntry {
  return {
    data: Buffer.from(original.data, "base64"),
    mode: original.mode,
    ...(original.symlink !== undefined ? { symlink: original.symlink } : {}),
  };
}
