import path from "node:path";
import type { Answers, RenderMeta } from "../answers/answers.js";
import { placeRenderedFiles } from "../monorepo/placement.js";
import type { HookCommand } from "../hooks.js";
import { renderTemplate, type RenderResult } from "../render/render.js";
import { SERVICE_FILE } from "../service-file.js";
import { type TemplateVersion, versionFile } from "../templates/source.js";
import { sortedPaths, type FileTree } from "../tree.js";
import type { ConflictStyle } from "../diff/xdiff/diff3.js";
import { keptFilesOf, type KeptFile } from "./kept-files.js";
import { mergeBytes } from "../diff/xdiff/diff3.js";
import { applyPathMigrations, followRenderedRenames, migrationCommands, type MigrationRecord } from "./migrate.js";
import { applyPlan, planUpgrade, isConflicted, type ConflictedAction, type ConflictOutput, type FileAction } from "./plan.js";
import { cliRenderMeta } from "../config.js";

/** One version of the path from the recorded version to the target, with the answers it renders with. */
export interface VersionAnswers {
  version: TemplateVersion;
  answers: Answers;
  /** Secret answers nobody knows (see resolveAnswers' `fromRecord`): files that read them are not rendered. */
  unknown?: ReadonlySet<string>;
}

export interface StepResult {
  from: string;
  to: string;
  actions: FileAction[];
  migrations: MigrationRecord[];
  /** Files the step's template deleted that the team had edited, so they were kept and no longer count. */
  kept: KeptFile[];
  /** Planned as if the conflicts of an earlier step were resolved by keeping the team's lines (dry run only). */
  afterConflicts?: boolean;
}

export interface UpgradeComputation {
  steps: StepResult[];
  /** The working tree the merge started from: `ours` plus the team's root files. */
  ours: FileTree;
  /** The root files the reached version renders, from the repository root, sorted: `.paved.yml`'s `rootFiles`. */
  rootFiles: string[];
  /** The working tree after every computed step, in memory. */
  tree: FileTree;
  /** The last version reached: the target, or the first step whose merge conflicts. */
  reached: VersionAnswers;
  /** Conflicting files of the last computed step (of every step when planning through conflicts). */
  conflicts: ConflictedAction[];
}

export interface ComputeUpgradeInput {
  template: string;
  dirName: string;
  /**
   * The service's folder from the repository root ("" at the root): `{{paved.path}}` as `paved new` rendered it.
   * Files the manifest's `rootFiles` place at the repository root are merged too, named from the service's folder
   * (`../../.github/workflows/svc-a-ci.yml`), as `paved diff` names them.
   */
  servicePath?: string;
  /**
   * The team's root files at these paths (named from the service's folder); absent ones are left out. Asked once,
   * for every root file any version of the path renders, and added to `ours`.
   */
  readRootFiles?: (paths: readonly string[]) => Promise<FileTree>;
  /** The working tree (".paved.yml" is left alone: upgrade writes it last). */
  ours: FileTree;
  /** The recorded version first, then every version up to the target, in order. */
  path: VersionAnswers[];
  conflict?: ConflictOutput;
  style?: ConflictStyle;
  /**
   * Run a version's migration commands on a tree and return the tree they leave; absent in a dry run
   * (the commands are then listed as planned).
   */
  runCommands?: (commands: HookCommand[], tree: FileTree, version: string) => Promise<FileTree>;
  /**
   * Plan every step even after one conflicts (a dry run): later steps start from the conflicted files with
   * the team's lines kept, the best guess at how they will be resolved. The real run stops at the conflict.
   */
  throughConflicts?: boolean;
}

/** A version's render as the upgrade merges it: root files named from the service's folder. */
interface PlacedRender extends RenderResult {
  /** The root files, from the repository root, sorted. */
  rootFiles: string[];
}

/** Render each version of the chain once: a step's "theirs" is the next step's "base". */
function renderer(template: string, dirName: string, servicePath: string): (step: VersionAnswers) => PlacedRender {
  const cache = new Map<VersionAnswers, PlacedRender>();
  const root = servicePath ? path.posix.relative(servicePath, "") : ".";
  return (step) => {
    let rendered = cache.get(step);
    if (!rendered) {
      const meta: RenderMeta = { template, version: step.version.manifest.version, dirName, path: servicePath, root, ...cliRenderMeta() };
      const full = renderTemplate(step.version, step.answers, meta, step.unknown);
      const placed = placeRenderedFiles(full.tree, step.version.manifest.rootFiles, servicePath);
      const tree: FileTree = new Map(placed.service);
      const managed = new Set([...full.managed].filter((p) => placed.service.has(p)));
      for (const [file, entry] of placed.root) {
        const named = fromServiceFolder(servicePath, file);
        tree.set(named, entry);
        if (full.managed.has(file)) managed.add(named);
      }
      const origins = new Map([...full.origins].map(([p, origin]) => [placed.root.has(p) ? fromServiceFolder(servicePath, p) : p, origin]));
      rendered = { tree, managed, origins, rootFiles: sortedPaths(placed.root) };
      cache.set(step, rendered);
    }
    return rendered;
  };
}

const IGNORED = new Set([SERVICE_FILE]);

/**
 * Upgrade one version at a time: for each step, base = the previous version's render, theirs = this
 * version's render, ours = the tree left by the previous step. Renames and deletes of the step run before
 * its merge (so edits follow moved files), commands after it. Merging per step (rather than once from the
 * first to the last version) is what lets every migration see the tree of the version it was written for,
 * so none is skipped or run against the wrong layout; a team line survives each step (it is merged or kept
 * between conflict markers), so it survives the chain. The chain stops after the first step that
 * conflicts: the team resolves that version's conflicts, then runs upgrade again for the rest.
 */
export async function computeUpgrade(input: ComputeUpgradeInput): Promise<UpgradeComputation> {
  const { template, dirName } = input;
  const servicePath = input.servicePath ?? "";
  const steps: StepResult[] = [];
  const [start, ...later] = input.path;
  if (start === undefined) throw new Error("bug: an upgrade path starts at the recorded version");
  let reached = start;
  let conflicts: ConflictedAction[] = [];
  const render = renderer(template, dirName, servicePath);
  // The team's copies of every root file any version renders: base, ours and theirs of their merge.
  const rootPaths = [...new Set(input.path.flatMap((step) => render(step).rootFiles.map((file) => fromServiceFolder(servicePath, file))))];
  const ours: FileTree = new Map(input.ours);
  if (rootPaths.length > 0 && input.readRootFiles) for (const [p, entry] of await input.readRootFiles(rootPaths)) ours.set(p, entry);
  let tree = ours;
  let previous = start;
  for (const next of later) {
    const from = previous.version.manifest.version;
    const to = next.version.manifest.version;
    const base = render(previous);
    const theirs = render(next);
    // Files the template now renders at another path move first (with the team's edits); then the
    // version's migrations, which belong to the version they lead to (an answers-only change has none).
    const migrations = from === to ? [] : next.version.manifest.migrations;
    const manifestFile = versionFile(next.version, "template.yaml");
    const followed = followRenderedRenames(base, theirs, tree, to);
    const moved = applyPathMigrations(migrations, to, followed.ours, followed.base, manifestFile);
    const labels = { ours: `yours (${template} ${from})`, base: `${template} ${from}`, theirs: `${template} ${to}` };
    const actions = planUpgrade({
      base: moved.base,
      theirs: theirs.tree,
      ours: moved.ours,
      managed: theirs.managed,
      labels,
      ignore: IGNORED,
      ...(input.conflict ? { conflict: input.conflict } : {}),
      ...(input.style ? { style: input.style } : {}),
    });
    tree = applyPlan(moved.ours, actions);
    const records = [...followed.records, ...moved.records];
    const commands = migrationCommands(migrations, {
      context: { ...next.answers, paved: { template, version: to, dirName, ...cliRenderMeta() } },
      where: { file: manifestFile, field: "migrations" },
    });
    if (commands.length > 0) {
      if (input.runCommands) {
        tree = await input.runCommands(commands, tree, to);
        records.push(
          ...commands.map((c) => ({ version: to, step: `run ${c.display}`, status: "applied" as const, detail: "ran after the merge" })),
        );
      } else {
        records.push(
          ...commands.map((c) => ({
            version: to,
            step: `run ${c.display}`,
            status: "planned" as const,
            detail: "would run after the merge",
          })),
        );
      }
    }
    const afterConflicts = conflicts.length > 0;
    steps.push({
      from,
      to,
      actions,
      migrations: records,
      kept: keptFilesOf(base.tree, theirs.tree, tree),
      ...(afterConflicts ? { afterConflicts } : {}),
    });
    reached = next;
    previous = next;
    const stepConflicts = actions.filter(isConflicted);
    if (!input.throughConflicts) {
      conflicts = stepConflicts;
      if (conflicts.length > 0) break;
      continue;
    }
    conflicts = [...conflicts, ...stepConflicts];
    tree = resolvedAsOurs(tree, stepConflicts);
  }
  return { steps, ours, rootFiles: render(reached).rootFiles, tree, reached, conflicts };
}

/** A repository-relative path named from the service's folder: `../../.github/x` from packages/svc-a. */
export function fromServiceFolder(servicePath: string, file: string): string {
  return path.posix.relative(servicePath, file);
}

/** The tree as if each conflicted file were resolved by keeping the team's side of every conflicting region. */
function resolvedAsOurs(tree: FileTree, conflicts: readonly ConflictedAction[]): FileTree {
  const next: FileTree = new Map(tree);
  for (const a of conflicts) {
    const c = a.conflict;
    if (c.kind !== "content" || !c.ours || !c.theirs) continue;
    const { data } = mergeBytes(c.base ? c.base.data : new Uint8Array(0), c.ours.data, c.theirs.data, { favor: "ours" });
    next.set(a.path, { data, mode: next.get(a.path)?.mode ?? c.ours.mode });
  }
  return next;
}
