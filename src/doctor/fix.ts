import { chmodSync, lstatSync, mkdirSync, realpathSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import { resolveInside } from "../fs/paths.js";
import { entriesEqual, type FileEntry } from "../tree.js";
import type { DoctorContext } from "./context.js";
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
  if (!ctx.template) return [];
  const template = ctx.template;
  const plan: PlannedFix[] = [];
  for (const required of requiredFiles(ctx).files) {
    if (!required.rendered) continue;
    const managed = template.managed.has(required.path);
    if (!ctx.files.exists(required.path)) {
      const entry = template.entry(required.path);
      if (entry) plan.push({ path: required.path, action: "created", entry });
    } else if (managed) {
      const entry = template.entry(required.path)!;
      if (!entriesEqual(entry, ctx.files.read(required.path))) plan.push({ path: required.path, action: "restored", entry });
    }
  }
  return plan;
}

function assertParentInside(root: string, full: string, shown: string): void {
  const realRoot = realpathSync(root);
  const realParent = realpathSync(path.dirname(full));
  const rel = path.relative(realRoot, realParent);
  if (rel.startsWith("..") || path.isAbsolute(rel)) {
    throw new UserError(`--fix: ${shown} would be written through a symlinked directory that leaves the service`, { hint: "restore that file by hand" });
  }
}

/** Write the planned files; a symlink in the way is replaced, never written through. */
export function applyFixes(root: string, plan: readonly PlannedFix[]): FixAction[] {
  const done: FixAction[] = [];
  for (const item of plan) {
    const full = resolveInside(root, item.path, item.path);
    mkdirSync(path.dirname(full), { recursive: true });
    assertParentInside(root, full, item.path);
    const existing = lstatOrNull(full);
    if (existing?.isDirectory()) continue;
    if (existing && (existing.isSymbolicLink() || item.entry.symlink !== undefined)) unlinkSync(full);
    if (item.entry.symlink !== undefined) {
      symlinkSync(item.entry.symlink, full);
    } else {
      writeFileSync(full, item.entry.data, { mode: item.entry.mode });
      chmodSync(full, item.entry.mode);
    }
    done.push({ path: item.path, action: item.action });
  }
  return done;
}

function lstatOrNull(full: string) {
  try {
    return lstatSync(full);
  } catch {
    return null;
  }
}
