import path from "node:path";
import { lstatOrNull } from "../fs/paths.js";
import { assertRealParents, replaceEntry } from "../fs/safe-write.js";
import { entriesEqual, type FileEntry } from "../tree.js";
import { hasTemplate, renderedEntry, type DoctorContext } from "./context.js";
import { requiredFiles } from "./checks/files.js";
import type { FixAction } from "./model.js";

export interface PlannedFix extends FixAction {
  entry: FileEntry;
}

/**
 * What `--fix` may restore: files the template owns. A missing managed or required rendered file is created;
 * a drifted managed file is overwritten. Nothing else is ever touched.
 */
export function planFixes(ctx: DoctorContext): PlannedFix[] {
  if (!hasTemplate(ctx)) return [];
  const template = ctx.template;
  const plan: PlannedFix[] = [];
  for (const required of requiredFiles(ctx).files) {
    if (!required.rendered) continue;
    const managed = template.managed.has(required.path);
    if (!ctx.files.exists(required.path)) {
      const entry = template.entry(required.path);
      if (entry) plan.push({ path: required.path, action: "created", entry });
    } else if (managed) {
      const entry = renderedEntry(template, required.path);
      if (!entriesEqual(entry, ctx.files.read(required.path))) plan.push({ path: required.path, action: "restored", entry });
    }
  }
  return plan;
}

/**
 * Write the planned files through the safe writer: every parent is checked (lstat, no symlink, inside the service)
 * for every file before anything is created; a file or symlink in the way is replaced, never written through.
 */
export function applyFixes(root: string, plan: readonly PlannedFix[]): FixAction[] {
  for (const item of plan) assertRealParents(root, item.path);
  const done: FixAction[] = [];
  const known = new Set<string>();
  for (const item of plan) {
    const full = path.join(root, ...item.path.split("/"));
    if (lstatOrNull(full)?.isDirectory()) continue;
    replaceEntry(root, item.path, item.entry, known);
    done.push({ path: item.path, action: item.action });
  }
  return done;
}
