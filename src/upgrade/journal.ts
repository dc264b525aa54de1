import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import { stateFile } from "../fs/lock.js";
import { resolveInside } from "../fs/paths.js";
import { processAlive } from "../fs/process-alive.js";
import type { FileEntry } from "../tree.js";

/**
 * A write-ahead journal for applying an upgrade: before the first file changes, paved records every path it
 * will touch, the temporary file it will use, and the path's original content. A run killed with SIGKILL (or a
 * power loss) mid-apply leaves the journal; the next `paved upgrade` restores every path from it, so the tree
 * is never left half upgraded. SIGINT/SIGTERM and errors roll back in-process and remove the journal.
 */
interface JournalEntry {
  path: string;
  temp?: string;
  /** null: the path did not exist before. */
  original: { data: string; mode: number; symlink?: string } | null;
}

interface Journal {
  pid: number;
  entries: JournalEntry[];
}

export function journalFile(root: string): string {
  return stateFile(root, "journal");
}

export interface JournalPlan {
  path: string;
  temp?: string;
  original: FileEntry | undefined;
}

/** Write the journal atomically (temp + rename); returns a function that removes it. */
export function startJournal(root: string, plan: readonly JournalPlan[]): () => void {
  const file = journalFile(root);
  const journal: Journal = {
    pid: process.pid,
    entries: plan.map((p) => ({
      path: p.path,
      ...(p.temp ? { temp: path.relative(root, p.temp).split(path.sep).join("/") } : {}),
      original: p.original
        ? { data: Buffer.from(p.original.data).toString("base64"), mode: p.original.mode, ...(p.original.symlink !== undefined ? { symlink: p.original.symlink } : {}) }
        : null,
    })),
  };
  writeFileSync(`${file}.tmp`, JSON.stringify(journal));
  renameSync(`${file}.tmp`, file);
  return () => rmSync(file, { force: true });
}

function pruneEmptyParents(full: string, root: string): void {
  for (let dir = path.dirname(full); dir.length > root.length; dir = path.dirname(dir)) {
    try {
      if (readdirSync(dir).length > 0) return;
      rmdirSync(dir);
    } catch {
      return;
    }
  }
}

/**
 * If an upgrade was killed while applying, put every path it touched back as it was and remove its temporary
 * files. Returns the restored paths (empty when there was nothing to do). Idempotent: a kill during recovery
 * leaves the journal for the next run.
 */
export function recoverInterruptedUpgrade(root: string): string[] {
  const file = journalFile(root);
  if (!existsSync(file)) return [];
  let journal: Journal;
  try {
    journal = JSON.parse(readFileSync(file, "utf8")) as Journal;
  } catch {
    throw new UserError(`${file} is damaged: an interrupted paved upgrade could not be undone automatically`, {
      hint: "restore the working tree with git (`git checkout -- . && git clean -fd`), then delete that file",
    });
  }
  if (journal.pid !== process.pid && processAlive(journal.pid)) {
    throw new UserError(`another paved process (pid ${journal.pid}) is upgrading ${root}`, { hint: "wait for it to finish" });
  }
  for (const entry of journal.entries) {
    const full = resolveInside(root, entry.path, file);
    if (entry.temp) rmSync(resolveInside(root, entry.temp, file), { force: true });
    rmSync(full, { force: true });
    if (entry.original) {
      mkdirSync(path.dirname(full), { recursive: true });
      if (entry.original.symlink !== undefined) symlinkSync(entry.original.symlink, full);
      else writeFileSync(full, Buffer.from(entry.original.data, "base64"), { mode: entry.original.mode });
    } else {
      pruneEmptyParents(full, root);
    }
  }
  rmSync(file, { force: true });
  return journal.entries.map((e) => e.path);
}
