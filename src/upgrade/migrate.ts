import { UserError } from "../errors.js";
import { unsafePathReason } from "../fs/paths.js";
import { normalizeCommand, type CommandRendering, type HookCommand } from "../hooks.js";
import type { RenderResult } from "../render/render.js";
import type { MigrationStep } from "../templates/manifest.js";
import { entriesEqual, type FileTree } from "../tree.js";

export interface MigrationRecord {
  /** The template version whose migrations these are. */
  version: string;
  /** The step as written, e.g. "rename config.yml -> settings.yml". */
  step: string;
  status: "applied" | "skipped" | "kept" | "planned";
  detail: string;
}

export function describeStep(step: MigrationStep): string {
  if ("rename" in step) return `rename ${step.rename.from} -> ${step.rename.to}`;
  if ("delete" in step) return `delete ${step.delete}`;
  return `run ${Array.isArray(step.run) ? step.run.join(" ") : step.run}`;
}

/**
 * Commands among a version's migrations (they need --trust from a non-builtin source). With `rendering`
 * (that version's answers; `where` names the list) their `{{answers}}` are filled in as hooks' are.
 */
export function migrationCommands(steps: readonly MigrationStep[], rendering?: CommandRendering): HookCommand[] {
  return steps.flatMap((s, i) =>
    "run" in s
      ? [
          normalizeCommand(
            {
              run: s.run,
              ...(s.shell !== undefined ? { shell: s.shell } : {}),
              ...(s.timeout !== undefined ? { timeout: s.timeout } : {}),
            },
            rendering && { context: rendering.context, where: { file: rendering.where.file, field: `${rendering.where.field}[${i}].run` } },
          ),
        ]
      : [],
  );
}

function checkedPath(p: string, field: string, manifestFile: string): string {
  const clean = p.replace(/\/+$/, "");
  const reason = unsafePathReason(clean);
  if (reason) {
    throw new UserError(`migrations ${field} ${JSON.stringify(p)} ${reason}`, {
      hint: "migration paths are relative to the service root and stay inside it",
      code: "unsafe-path",
      fields: { file: manifestFile },
    });
  }
  return clean;
}

/** Paths of the tree equal to `target` or under it as a directory. */
function matching(tree: FileTree, target: string): string[] {
  return [...tree.keys()].filter((p) => p === target || p.startsWith(`${target}/`)).sort();
}

function moved(p: string, from: string, to: string): string {
  return to + p.slice(from.length);
}

/** Move the entry at `from`, which the caller found in `tree`, to `to`. */
function moveEntry(tree: FileTree, from: string, to: string): void {
  const entry = tree.get(from);
  if (entry === undefined) throw new Error(`bug: ${from} is not in the tree it was found in`);
  tree.set(to, entry);
  tree.delete(from);
}

/** The one element of a list of exactly one, else undefined. */
function soleElement<T>(list: readonly T[] | undefined): T | undefined {
  return list?.length === 1 ? list[0] : undefined;
}

export interface PathMigrationResult {
  ours: FileTree;
  base: FileTree;
  records: MigrationRecord[];
}

/**
 * Apply a version's `rename` and `delete` steps, in order, to the team's tree and to the old render.
 * They run before that version's merge so that a team's edits follow a file to its new name and are
 * merged with the template's new content there (instead of a "deleted upstream" plus a "new upstream").
 * A delete keeps a file the team changed (reported), as upgrade never silently drops a local edit.
 */
export function applyPathMigrations(
  steps: readonly MigrationStep[],
  version: string,
  ours: FileTree,
  base: FileTree,
  manifestFile: string,
): PathMigrationResult {
  const nextOurs: FileTree = new Map(ours);
  const nextBase: FileTree = new Map(base);
  const records: MigrationRecord[] = [];
  for (const step of steps) {
    const text = describeStep(step);
    if ("rename" in step) {
      const from = checkedPath(step.rename.from, "rename.from", manifestFile);
      const to = checkedPath(step.rename.to, "rename.to", manifestFile);
      const files = matching(nextOurs, from);
      const blocked = files.find((p) => nextOurs.has(moved(p, from, to)));
      if (files.length === 0) {
        records.push({ version, step: text, status: "skipped", detail: `${from} is not in the service` });
      } else if (blocked !== undefined) {
        records.push({
          version,
          step: text,
          status: "kept",
          detail: `${moved(blocked, from, to)} already exists; nothing renamed — move your content by hand`,
        });
        continue;
      } else {
        for (const p of files) moveEntry(nextOurs, p, moved(p, from, to));
        records.push({ version, step: text, status: "applied", detail: `${files.length} file${files.length === 1 ? "" : "s"} moved` });
      }
      for (const p of matching(nextBase, from)) moveEntry(nextBase, p, moved(p, from, to));
    } else if ("delete" in step) {
      const target = checkedPath(step.delete, "delete", manifestFile);
      const files = matching(nextOurs, target);
      const edited = files.filter((p) => !entriesEqual(nextOurs.get(p), nextBase.get(p)));
      for (const p of files) if (!edited.includes(p)) nextOurs.delete(p);
      for (const p of matching(nextBase, target)) nextBase.delete(p);
      if (files.length === 0) records.push({ version, step: text, status: "skipped", detail: `${target} is not in the service` });
      else if (edited.length > 0)
        records.push({
          version,
          step: text,
          status: "kept",
          detail: `kept ${edited.join(", ")}: changed by you — delete by hand if no longer needed`,
        });
      else records.push({ version, step: text, status: "applied", detail: `${files.length} file${files.length === 1 ? "" : "s"} deleted` });
    }
  }
  return { ours: nextOurs, base: nextBase, records };
}

function pathsByOrigin(rendered: Pick<RenderResult, "origins">): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [p, origin] of rendered.origins) out.set(origin, [...(out.get(origin) ?? []), p]);
  return out;
}

/**
 * A template file whose rendered path changed (`src/{{name}}.ts` after `--set name=...`, or a templated
 * folder) is the same file at a new place: move it in the team's tree and the old render before merging,
 * like a rename migration, so the team's edits go with it. Only one-to-one moves are followed.
 */
export function followRenderedRenames(
  base: Pick<RenderResult, "tree" | "origins">,
  theirs: Pick<RenderResult, "tree" | "origins">,
  ours: FileTree,
  version: string,
): PathMigrationResult {
  const nextOurs: FileTree = new Map(ours);
  const nextBase: FileTree = new Map(base.tree);
  const records: MigrationRecord[] = [];
  const after = pathsByOrigin(theirs);
  for (const [origin, before] of pathsByOrigin(base)) {
    const from = soleElement(before);
    const to = soleElement(after.get(origin));
    if (from === undefined || to === undefined) continue;
    if (from === to || theirs.tree.has(from) || base.tree.has(to)) continue;
    moveEntry(nextBase, from, to);
    const step = `rename ${from} -> ${to}`;
    if (!nextOurs.has(from)) continue;
    if (nextOurs.has(to)) {
      records.push({ version, step, status: "kept", detail: `${to} already exists; ${from} left where it is` });
      moveEntry(nextBase, to, from);
      continue;
    }
    moveEntry(nextOurs, from, to);
    records.push({ version, step, status: "applied", detail: `the template now renders ${origin} at this path` });
  }
  return { ours: nextOurs, base: nextBase, records };
}
