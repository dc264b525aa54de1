import path from "node:path";
import { entryText, isBinary, type FileTree } from "../tree.js";

/**
 * A file the template deleted in a version although the team had edited it. Upgrade keeps it (a local edit
 * is never lost), but nothing the template ships reads it any more: whatever the team put there has stopped
 * taking effect, which needs a person.
 */
export interface KeptFile {
  path: string;
  /** Files of the old version that named it (by path or file name): what used it, e.g. a kustomization.yaml. */
  referencedBy: string[];
}

/** Files of `oldRender` that mention `target` by its path or its file name. */
function referencesTo(target: string, oldRender: FileTree): string[] {
  const name = path.posix.basename(target);
  const found: string[] = [];
  for (const [p, entry] of oldRender) {
    if (p === target || entry.symlink !== undefined || isBinary(entry.data)) continue;
    const text = entryText(entry);
    if (text.includes(target) || text.includes(name)) found.push(p);
  }
  return found.sort();
}

/**
 * Files the old version rendered and the new one does not that are still in the tree after the step:
 * untouched ones were deleted and renamed ones moved, so what is left is the team's edited copy.
 */
export function keptFilesOf(oldRender: FileTree, newRender: FileTree, after: FileTree): KeptFile[] {
  const kept: KeptFile[] = [];
  for (const p of [...oldRender.keys()].sort()) {
    if (newRender.has(p) || !after.has(p)) continue;
    kept.push({ path: p, referencedBy: referencesTo(p, oldRender) });
  }
  return kept;
}

/**
 * The kept files an upgrade leaves: each counts once, at the last step that still has it, and only while the
 * tree after every step still holds it.
 */
export function keptAfter(computed: { steps: readonly { kept: readonly KeptFile[] }[]; tree: FileTree }): KeptFile[] {
  return [
    ...new Map(computed.steps.flatMap((s) => s.kept.filter((k) => computed.tree.has(k.path)).map((k) => [k.path, k] as const))).values(),
  ];
}

export function describeKept(k: KeptFile): string {
  const used = k.referencedBy.length > 0 ? `; in the old version ${k.referencedBy.join(", ")} referenced it` : "";
  return `${k.path}: the template no longer has this file, so your edits in it no longer take effect${used}. Move what you need into the new layout (see the release notes), then delete it`;
}
