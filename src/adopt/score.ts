import type { DriftedFile } from "../upgrade/drift.js";
import { SERVICE_FILE } from "../service-file.js";
import type { FileTree } from "../tree.js";

/** How close a repository is to one render of a template version. */
export interface Closeness {
  /** Lines that differ over the template's files: added plus removed, as `paved diff` counts them; lower is closer. */
  lines: number;
  /** Files the render has (the template's files for these answers). */
  files: number;
  identical: number;
  differing: number;
  /** Rendered files the repository lacks: every line of each counts as differing. */
  missing: number;
}

/**
 * Score the drift of a repository from a render (`findDrift`, what `paved diff` shows). Only the template's files
 * count: the repository's own files are not the template's business. A file the repository lacks counts as all its
 * lines differing (findDrift diffs it against nothing); a binary file or a mode that differs counts as one line.
 */
export function closeness(rendered: FileTree, drift: readonly DriftedFile[]): Closeness {
  const files = [...rendered.keys()].filter((p) => p !== SERVICE_FILE).length;
  let lines = 0;
  let missing = 0;
  for (const f of drift) {
    lines += Math.max(1, f.added + f.removed);
    if (f.status === "deleted") missing++;
  }
  return { lines, files, identical: files - drift.length, differing: drift.length - missing, missing };
}

/** The closest candidate: fewest differing lines; on a tie the newer version (candidates come oldest first). */
export function closest<T extends { closeness: Closeness }>(candidates: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const c of candidates) if (!best || c.closeness.lines <= best.closeness.lines) best = c;
  return best;
}
