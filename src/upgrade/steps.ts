import path from "node:path";
import type { Answers, RenderMeta } from "../answers/answers.js";
import type { HookCommand } from "../hooks.js";
import { renderTemplate } from "../render/render.js";
import { SERVICE_FILE } from "../service-file.js";
import type { TemplateVersion } from "../templates/source.js";
import type { FileTree } from "../tree.js";
import type { ConflictStyle } from "./diff3.js";
import { applyPathMigrations, followRenderedRenames, migrationCommands, type MigrationRecord } from "./migrate.js";
import { applyPlan, planUpgrade, type ConflictOutput, type FileAction } from "./plan.js";

/** One version of the path from the recorded version to the target, with the answers it renders with. */
export interface VersionAnswers {
  version: TemplateVersion;
  answers: Answers;
}

export interface StepResult {
  from: string;
  to: string;
  actions: FileAction[];
  migrations: MigrationRecord[];
}

export interface UpgradeComputation {
  steps: StepResult[];
  /** The working tree after every computed step, in memory. */
  tree: FileTree;
  /** The last version reached: the target, or the first step whose merge conflicts. */
  reached: VersionAnswers;
  /** Conflicting files of the last computed step. */
  conflicts: FileAction[];
}

export interface ComputeUpgradeInput {
  template: string;
  dirName: string;
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
}

type Rendered = ReturnType<typeof renderTemplate>;

/** Render each version of the chain once: a step's "theirs" is the next step's "base". */
function renderer(template: string, dirName: string): (step: VersionAnswers) => Rendered {
  const cache = new Map<VersionAnswers, Rendered>();
  return (step) => {
    let rendered = cache.get(step);
    if (!rendered) {
      const meta: RenderMeta = { template, version: step.version.manifest.version, dirName };
      rendered = renderTemplate(step.version, step.answers, meta);
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
  let tree = input.ours;
  const steps: StepResult[] = [];
  let reached = input.path[0]!;
  let conflicts: FileAction[] = [];
  const render = renderer(template, dirName);
  for (let k = 1; k < input.path.length; k++) {
    const previous = input.path[k - 1]!;
    const next = input.path[k]!;
    const from = previous.version.manifest.version;
    const to = next.version.manifest.version;
    const base = render(previous);
    const theirs = render(next);
    // Files the template now renders at another path move first (with the team's edits); then the
    // version's migrations, which belong to the version they lead to (an answers-only change has none).
    const migrations = from === to ? [] : next.version.manifest.migrations;
    const manifestFile = path.join(next.version.dir, "template.yaml");
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
    const commands = migrationCommands(migrations, { context: { ...next.answers, paved: { template, version: to, dirName } }, where: `${manifestFile}: migrations` });
    if (commands.length > 0) {
      if (input.runCommands) {
        tree = await input.runCommands(commands, tree, to);
        records.push(...commands.map((c) => ({ version: to, step: `run ${c.display}`, status: "applied" as const, detail: "ran after the merge" })));
      } else {
        records.push(...commands.map((c) => ({ version: to, step: `run ${c.display}`, status: "planned" as const, detail: "would run after the merge" })));
      }
    }
    steps.push({ from, to, actions, migrations: records });
    reached = next;
    conflicts = actions.filter((a) => a.conflict);
    if (conflicts.length > 0) break;
  }
  return { steps, tree, reached, conflicts };
}
