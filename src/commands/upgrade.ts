import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import semver from "semver";
import { z } from "zod";
import { recordableAnswers, resolveAnswers, type Answers, type Prompter, type ProvidedAnswer } from "../answers/answers.js";
import { collectProvided } from "../answers/provided.js";
import { ProblemFound, UserError } from "../errors.js";
import { onInterrupt } from "../fs/cleanup.js";
import { fileSystemError } from "../fs/fs-error.js";
import { withRepositoryLock } from "../fs/lock.js";
import { readTree } from "../fs/read-tree.js";
import { writeTree } from "../fs/write-tree.js";
import { assertTrusted, renderCommands, runHooks, type HookCommand } from "../hooks.js";
import type { Output } from "../output.js";
import { readServiceFile, SERVICE_FILE, serializeServiceFile, type ServiceFile } from "../service-file.js";
import { describeSource, displayPath, sourceHadCredentials, type TemplateSource, type TemplateVersion } from "../templates/source.js";
import { escapeControlChars } from "../terminal-text.js";
import { textFile, type FileTree } from "../tree.js";
import { applyAtomically, changeCount, treeChanges } from "../upgrade/apply.js";
import { openJournal, recoverInterruptedUpgrade, type UpgradeJournal } from "../upgrade/journal.js";
import { migrationCommands, type MigrationRecord } from "../upgrade/migrate.js";
import type { FileAction } from "../upgrade/plan.js";
import { openServiceSource } from "../upgrade/service-source.js";
import { computeUpgrade, type VersionAnswers } from "../upgrade/steps.js";
import { assertNotInterrupted, commitAll, openRepository, readWorkingTree, storeBlobs, uncommittedChanges, updateIndex, type IndexUpdate } from "../upgrade/worktree.js";
import { answerOptionsSchema, commonOptionsSchema, sourceOptionSchema } from "./options.js";

export const upgradeOptionsSchema = commonOptionsSchema
  .extend(answerOptionsSchema.shape)
  .extend(sourceOptionSchema.shape)
  .extend({
    to: z.string().optional(),
    dryRun: z.boolean().default(false),
    allowDirty: z.boolean().default(false),
    conflict: z.enum(["inline", "rej"]).default("inline"),
    commit: z.boolean().default(false),
    check: z.boolean().default(false),
    trust: z.boolean().default(false),
  });
export type UpgradeOptions = z.infer<typeof upgradeOptionsSchema>;

export interface UpgradeDependencies {
  out: Output;
  /** Present only where a person can answer prompts (new questions of the target version). */
  prompter?: Prompter;
}

function manifestFileOf(version: TemplateVersion): string {
  return displayPath(path.join(version.dir, "template.yaml"));
}

/** Recorded (or carried) answers this version knows, plus --set; --set wins. */
function providedFor(version: TemplateVersion, carried: Answers, sets: ReadonlyMap<string, ProvidedAnswer>, allSets: boolean): Map<string, ProvidedAnswer> {
  const names = new Set(version.manifest.questions.map((q) => q.name));
  const provided = new Map<string, ProvidedAnswer>();
  for (const [name, value] of Object.entries(carried)) {
    if (names.has(name) && value !== null) provided.set(name, { value, origin: "recorded" });
  }
  for (const [name, answer] of sets) if (allSets || names.has(name)) provided.set(name, answer);
  return provided;
}

/** The versions after `from` up to and including `to` (pre-releases only when they are the target). */
function versionsBetween(all: readonly string[], from: string, to: string): string[] {
  return all.filter((v) => semver.gt(v, from) && semver.lte(v, to) && (semver.prerelease(v) === null || v === to));
}

async function resolvePath(
  source: TemplateSource,
  all: readonly string[],
  service: ServiceFile,
  to: string,
  sets: ReadonlyMap<string, ProvidedAnswer>,
  dirName: string,
  prompter: Prompter | undefined,
): Promise<VersionAnswers[]> {
  const names = service.version === to ? [service.version, to] : [service.version, ...versionsBetween(all, service.version, to)];
  const versions = await Promise.all(names.map((v) => source.loadVersion(service.template, v)));
  const first = versions[0]!;
  // The base renders exactly what the team got: recorded answers, defaults for anything unrecorded, no prompt.
  const baseAnswers = await resolveAnswers({
    questions: first.manifest.questions,
    provided: providedFor(first, service.answers, new Map(), false),
    meta: { template: service.template, version: service.version, dirName },
    manifestFile: manifestFileOf(first),
  });
  const chain: VersionAnswers[] = [{ version: first, answers: baseAnswers.answers }];
  let carried = baseAnswers.answers;
  for (const [k, version] of versions.entries()) {
    if (k === 0) continue;
    const last = k === versions.length - 1;
    const { answers } = await resolveAnswers({
      questions: version.manifest.questions,
      provided: providedFor(version, carried, sets, last),
      meta: { template: service.template, version: version.manifest.version, dirName },
      manifestFile: manifestFileOf(version),
      ...(prompter ? { prompter } : {}),
    });
    chain.push({ version, answers });
    carried = { ...carried, ...answers };
  }
  return chain;
}

/** Run migration commands in a scratch copy of the tree (the working tree stays untouched until apply). */
function scratchRunner(out: Output) {
  return async (commands: HookCommand[], tree: FileTree, version: string): Promise<FileTree> => {
    const dir = mkdtempSync(path.join(tmpdir(), "paved-migrate-"));
    const forget = onInterrupt(() => rmSync(dir, { recursive: true, force: true }));
    try {
      await writeTree(dir, tree);
      out.info(out.c.dim(`migrations for ${version}:`));
      await runHooks(commands, dir, (line) => out.info(out.c.dim(line)));
      return await readTree(dir, { ignoreDirs: new Set([".git", "node_modules"]) });
    } finally {
      forget();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const ACTION_COLOURS: Record<string, "green" | "yellow" | "red" | "cyan" | "dim"> = {
  create: "green",
  update: "cyan",
  merge: "cyan",
  delete: "yellow",
  overwrite: "yellow",
  conflict: "red",
  keep: "dim",
};

function describeConflict(a: FileAction): string {
  if (a.conflict?.kind === "binary") return `${a.path} (binary: yours kept; the template's version is stage 3 in the index)`;
  const n = a.conflict?.regions ?? 0;
  return `${a.path} (${n} region${n === 1 ? "" : "s"})`;
}

export async function upgradeCommand(dir: string | undefined, rawOptions: unknown, deps: UpgradeDependencies): Promise<void> {
  const started = performance.now();
  const options = upgradeOptionsSchema.parse(rawOptions);
  const target = path.resolve(dir ?? ".");
  if (options.dryRun || options.check) return upgradeService(target, options, deps, started, undefined);
  // The lock comes first and is held to the end: recovery, .paved.yml, the clean-tree check, the writes, the
  // postUpgrade hooks and --commit all happen with no other paved process working on this repository.
  await withRepositoryLock(target, async (state) => {
    const journal = state ? await openJournal(state) : undefined;
    await upgradeService(target, options, deps, started, journal);
  });
}

/** The upgrade itself; `journal` is where this run journals its writes (undefined: a dry run or --check). */
async function upgradeService(target: string, options: UpgradeOptions, deps: UpgradeDependencies, started: number, journal: UpgradeJournal | undefined): Promise<void> {
  const { out } = deps;
  const shown = displayPath(target) || ".";
  if (journal) {
    const restored = recoverInterruptedUpgrade(journal);
    if (restored.length > 0) {
      out.warn(`an earlier paved upgrade was killed while writing; restored ${restored.length} path${restored.length === 1 ? "" : "s"} to how they were before it`);
    }
  }
  const service = await readServiceFile(target);
  // With --to, make sure a cached git source is fetched when it does not have that version yet.
  const { source, record, versions, chosenBy } = await openServiceSource(target, options.source, service.source, service.template, options.to?.replace(/^v/, "") ?? service.version);
  out.info(`template ${service.template} from ${describeSource(source)} (chosen by ${chosenBy === "--source" ? "--source" : `source: in ${displayPath(chosenBy)}`})`);
  const provenance = { source: source.id, sourceChosenBy: chosenBy };
  if (options.source && sourceHadCredentials(source)) {
    out.warn(`the credentials in the source URL were left out of ${SERVICE_FILE} (it records ${source.id}); later runs need them from a git credential helper`);
  }
  if (!versions.includes(service.version)) {
    throw new UserError(`${SERVICE_FILE} records ${service.template} ${service.version}, which ${source.id} does not have`, {
      hint: `pass --source <dir> pointing at templates that include ${service.version} (found: ${versions.join(", ") || "none"})`,
    });
  }
  const releases = versions.filter((v) => semver.prerelease(v) === null);
  const latest = releases.length > 0 && semver.gt(releases[releases.length - 1]!, service.version) ? releases[releases.length - 1]! : service.version;

  if (options.check) {
    const available = latest !== service.version;
    out.result({ ok: true, template: service.template, current: service.version, latest, updateAvailable: available, ...provenance });
    out.print(available ? `${service.template} ${latest} is available (this service is on ${service.version}); run \`paved upgrade\`` : `${service.template} ${service.version} is the latest version`);
    if (available) throw new ProblemFound("a newer template version exists");
    return;
  }

  let to = latest;
  if (options.to) {
    const wanted = options.to.replace(/^v/, "");
    if (!versions.includes(wanted)) {
      throw new UserError(`--to ${options.to}: ${service.template} has no such version in ${source.id}`, { hint: `use one of: ${versions.join(", ")}` });
    }
    to = wanted;
  }
  if (semver.lt(to, service.version)) {
    throw new UserError(`--to ${to} is older than ${service.version}, which this service is on; paved does not downgrade`, {
      hint: `to go back, revert the upgrade commit with git (e.g. \`git revert <commit>\`)`,
    });
  }
  const sets = await collectProvided(options.set, options.answersFile);
  if (to === service.version && sets.size === 0) {
    out.result({ ok: true, from: service.version, to, steps: [], actions: [], conflicts: [], migrations: [], upToDate: true, ...provenance });
    out.print(`${out.c.green("✓")} ${shown} is on ${service.template} ${to}${to === latest ? ", the latest version" : ""}; nothing to do`);
    return;
  }

  const repo = await openRepository(target);
  if (!options.allowDirty && !options.dryRun) {
    const dirty = await uncommittedChanges(repo);
    if (dirty.length > 0) {
      throw new UserError(`${shown} has uncommitted changes (${dirty.length} path${dirty.length === 1 ? "" : "s"}, e.g. ${dirty[0]!.slice(3)})`, {
        hint: "commit or stash them first so the upgrade is one reviewable change, or pass --allow-dirty",
      });
    }
  }

  const chain = await resolvePath(source, versions, service, to, sets, path.basename(target), options.yes ? undefined : deps.prompter);
  const finalVersion = chain[chain.length - 1]!.version;
  const postUpgrade = renderCommands(
    finalVersion.manifest.hooks.postUpgrade,
    { ...chain[chain.length - 1]!.answers, paved: { template: service.template, version: finalVersion.manifest.version, dirName: path.basename(target) } },
    `${manifestFileOf(finalVersion)}: hooks.postUpgrade`,
  );
  const commands = [
    ...chain.slice(1).flatMap((step) =>
      service.version === to
        ? []
        : migrationCommands(step.version.manifest.migrations, {
            context: { ...step.answers, paved: { template: service.template, version: step.version.manifest.version, dirName: path.basename(target) } },
            where: `${manifestFileOf(step.version)}: migrations`,
          }),
    ),
    ...postUpgrade,
  ];
  assertTrusted(commands, source.trusted || options.trust, `upgrading to ${service.template} ${to}`, source.id);

  out.info(`${out.c.bold("paved")} ${options.dryRun ? "planning the upgrade of" : "upgrading"} ${shown}: ${service.template} ${service.version} -> ${to}`);
  const ours = await readWorkingTree(repo);
  const computed = await computeUpgrade({
    template: service.template,
    dirName: path.basename(target),
    ours,
    path: chain,
    conflict: options.conflict,
    ...(options.dryRun ? {} : { runCommands: scratchRunner(out) }),
  });
  const reached = computed.reached.version;
  const reachedVersion = reached.manifest.version;
  const serviceFile: ServiceFile = {
    ...service,
    source: record,
    version: reachedVersion,
    answers: recordableAnswers(reached.manifest.questions, computed.reached.answers),
  };
  const finalTree: FileTree = new Map(computed.tree);
  finalTree.set(SERVICE_FILE, textFile(serializeServiceFile(serviceFile)));
  const changes = treeChanges(ours, finalTree, SERVICE_FILE);
  const actions = computed.steps.flatMap((s) => s.actions.map((a) => ({ ...a, step: `${s.from}->${s.to}` })));
  const migrations: MigrationRecord[] = computed.steps.flatMap((s) => s.migrations);
  const conflicts = computed.conflicts;
  const summary = {
    from: service.version,
    to: reachedVersion,
    target: to,
    steps: computed.steps.map((s) => ({ from: s.from, to: s.to })),
    actions: actions.map((a) => ({ path: a.path, action: a.action, reason: a.reason, step: a.step, ...(a.notice ? { notice: true } : {}) })),
    conflicts: conflicts.map((a) => ({ path: a.path, kind: a.conflict!.kind, regions: a.conflict!.regions })),
    migrations,
  };

  for (const step of computed.steps) {
    out.print(`${service.template} ${step.from} -> ${step.to}${step.from === step.to ? " (answers changed)" : ""}`);
    const width = Math.max(0, ...step.actions.map((a) => a.path.length));
    for (const a of step.actions) {
      const colour = ACTION_COLOURS[a.action] ?? "dim";
      out.print(`  ${out.c[colour](a.action.padEnd(9))} ${escapeControlChars(a.path).padEnd(width)}  ${out.c.dim(escapeControlChars(a.reason))}`);
    }
    for (const m of step.migrations) out.print(`  ${out.c.cyan("migrate".padEnd(9))} ${escapeControlChars(m.step)}  ${out.c.dim(escapeControlChars(`${m.status}: ${m.detail}`))}`);
    if (step.actions.length === 0 && step.migrations.length === 0) out.print(`  ${out.c.dim("no file changes")}`);
  }

  if (options.dryRun) {
    out.result({ ok: true, dryRun: true, ...summary, ...provenance, changes: changeCount(changes) });
    const stop = reachedVersion !== to ? ` The upgrade would stop at ${reachedVersion} with conflicts.` : "";
    out.print(`Dry run: ${changeCount(changes)} file${changeCount(changes) === 1 ? "" : "s"} would change; nothing was written.${stop}`);
    return;
  }

  const update: IndexUpdate = { unmerged: [], staged: new Map() };
  if (conflicts.length > 0 && options.conflict === "inline") {
    update.unmerged = conflicts.map((a) => ({ path: a.path, ...(a.conflict!.base ? { base: a.conflict!.base } : {}), ...(a.conflict!.ours ? { ours: a.conflict!.ours } : {}), ...(a.conflict!.theirs ? { theirs: a.conflict!.theirs } : {}) }));
    const conflicted = new Set(conflicts.map((a) => a.path));
    for (const [p, entry] of changes.writes) if (!conflicted.has(p)) update.staged.set(p, entry);
    for (const p of changes.deletes) update.staged.set(p, null);
  }
  const blobs = await storeBlobs(repo, update);
  // Last moment to stop: after this the working tree changes in one synchronous step.
  assertNotInterrupted();
  try {
    applyAtomically(target, changes, ours, () => updateIndex(repo, update, blobs), journal);
  } catch (error) {
    // A full or read-only disk is the user's to fix (exit 2); everything was rolled back by then.
    throw fileSystemError(error, `write the upgrade into ${shown} (nothing was changed)`);
  }

  const complete = conflicts.length === 0;
  const hooks = complete ? postUpgrade : [];
  if (hooks.length > 0) await runHooks(hooks, target, (line) => out.info(out.c.dim(line)));

  let commit: string | null = null;
  if (options.commit && complete) {
    const message = `Upgrade ${service.template} from ${service.version} to ${reachedVersion}\n\nApplied by \`paved upgrade\` (template ${service.template}, source ${source.id}).\nSteps: ${computed.steps.map((s) => `${s.from} -> ${s.to}`).join(", ")}.`;
    commit = await commitAll(repo, message);
  }
  const seconds = (performance.now() - started) / 1000;
  out.result({ ok: complete, ...summary, ...provenance, changes: changeCount(changes), commit, durationMs: Math.round(seconds * 1000) });

  for (const a of actions.filter((x) => x.notice)) out.warn(`${a.path}: ${a.reason}`);
  for (const m of migrations.filter((x) => x.status === "kept")) out.warn(`migration ${m.version} \`${m.step}\`: ${m.detail}`);
  if (!complete) {
    out.print(`\n${out.c.red("✗")} ${conflicts.length} file${conflicts.length === 1 ? "" : "s"} with conflicts (${SERVICE_FILE} now records ${reachedVersion}):`);
    for (const a of conflicts) out.print(`  ${escapeControlChars(describeConflict(a))}`);
    const more = reachedVersion !== to ? `, then run \`paved upgrade\` again to continue to ${to}` : "";
    out.print(
      options.conflict === "rej"
        ? `Next: apply each .rej file by hand and delete it, then \`git add -A\` and commit${more}.`
        : `Next: edit each file between the <<<<<<< and >>>>>>> markers (or run \`git mergetool\`), \`git add\` it, then \`git commit\` (the rest of the upgrade is already staged)${more}.`,
    );
    if (options.conflict === "inline" && conflicts.some((c) => c.conflict?.kind === "binary")) {
      out.print("For a binary file: keep yours with `git add <file>`, or take the template's with `git checkout --theirs <file> && git add <file>`.");
    }
    throw new ProblemFound("upgrade left conflicts");
  }
  out.print(
    `${out.c.green("✓")} Upgraded ${shown} from ${service.template} ${service.version} to ${reachedVersion}: ${changeCount(changes)} file${changeCount(changes) === 1 ? "" : "s"} changed` +
      `${commit ? `, committed ${commit.slice(0, 7)}` : ""} in ${seconds.toFixed(1)} s`,
  );
  if (!commit) out.print("Next: review with `git diff`, run your tests, then commit.");
}
