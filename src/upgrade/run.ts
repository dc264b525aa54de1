import { monotonicMs } from "../clock.js";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import semver from "semver";
import { recordableAnswers, type Prompter } from "../answers/answers.js";
import { collectProvided } from "../answers/provided.js";
import { cliRenderMeta, configTrust, effectiveConfig, verifyByDefault } from "../config.js";
import { assertPavedVersionFor } from "../paved-version.js";
import { ProblemFound, UserError } from "../errors.js";
import { onInterrupt } from "../fs/cleanup.js";
import { fileSystemError } from "../fs/fs-error.js";
import { repositoryState, withRepositoryLock, type RepositoryState } from "../fs/lock.js";
import { readTree } from "../fs/read-tree.js";
import { writeTree } from "../fs/write-tree.js";
import { assertNotInterrupted } from "../git/run.js";
import { assertTrusted, renderCommands, runHooks, type HookCommand } from "../hooks.js";
import { lockfileNeeded, lockfileSpecOf, refreshLockfile } from "../lockfile.js";
import type { Output } from "../output.js";
import { readServiceFile, SERVICE_FILE, serializeServiceFile, type ServiceFile } from "../service-file.js";
import { latestFor } from "../templates/latest.js";
import { describeSource, displayPath, sourceHadCredentials } from "../templates/source.js";
import { escapeControlChars } from "../terminal-text.js";
import { textFile, type FileTree } from "../tree.js";
import { applyAtomically, changeCount, changesAtTop, treeAtTop, treeChanges } from "./apply.js";
import { readRootFiles, repositoryTopOf, rootPathsOf } from "../monorepo/root-files.js";
import { assertNewRootFilesFree } from "../monorepo/applications.js";
import { manifestFileOf, resolvePath, targetOf, versionsBetween } from "./chain.js";
import { clearInProgress, originalsOf, readInProgress, saveInProgress } from "./in-progress.js";
import { openJournal, recoverInterruptedUpgrade, type UpgradeJournal } from "./journal.js";
import { describeKept, keptAfter } from "./kept-files.js";
import { migrationCommands, type MigrationRecord } from "./migrate.js";
import { isConflicted, type FileAction } from "./plan.js";
import { changedAnswers, formatReleaseNotes, releaseNotesOf, upgradeCommitMessage } from "./release-notes.js";
import { abortUpgrade, continueUpgrade } from "./resume.js";
import { openServiceSource } from "./service-source.js";
import { computeUpgrade, fromServiceFolder } from "./steps.js";
import { verifyService, type VerifyResult } from "./verify.js";
import {
  assertNoUncommittedChanges,
  commitAll,
  headCommit,
  openRepository,
  readWorkingTree,
  stagePaths,
  stageSoon,
  storeBlobs,
  updateIndex,
  type IndexUpdate,
} from "../git/worktree.js";

/**
 * `paved upgrade` of one service: recovery, the version path, the three-way merge, the atomic apply, hooks,
 * verification and --commit, reported through `out` as it goes (progress on stderr, the result on stdout or as
 * the one --json object). The command parses flags and picks the services; this does the work.
 */

/** What `paved upgrade` was asked to do (the command's flags, parsed). */
export interface UpgradeRunOptions {
  to?: string | undefined;
  latest: boolean;
  set: string[];
  answersFile?: string | undefined;
  yes: boolean;
  source?: string | undefined;
  dryRun: boolean;
  check: boolean;
  allowDirty: boolean;
  conflict: "inline" | "rej";
  commit: boolean;
  commitOnFailure: boolean;
  trust: boolean;
  verify?: boolean | undefined;
  acceptKept: boolean;
  lockfile: boolean;
  abort: boolean;
  continue: boolean;
}

export interface UpgradeDependencies {
  out: Output;
  /** Present only where a person can answer prompts (new questions of the target version). */
  prompter?: Prompter;
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

/** Whether this run only reads (a dry run or --check): no lock, nothing written. */
export function upgradeOnlyReads(options: UpgradeRunOptions): boolean {
  return !options.abort && !options.continue && (options.dryRun || options.check);
}

/**
 * Upgrade the service in `target`. `lockHeld`: the caller holds the repository lock already (`--all` takes it
 * once for every service in the repository); else this takes it.
 */
export async function upgradeService(
  target: string,
  options: UpgradeRunOptions,
  deps: UpgradeDependencies,
  lockHeld = false,
): Promise<void> {
  if (upgradeOnlyReads(options)) return runUpgrade(target, options, deps, undefined);
  const work = async (repository: RepositoryState | undefined) => {
    const locked = repository ? { repository, journal: await openJournal(repository) } : undefined;
    if (options.abort || options.continue) {
      if (!locked)
        throw new UserError(`${displayPath(target) || "."} is not inside a git work tree, so no upgrade can be in progress there`, {
          hint: "run it in the service's repository",
        });
      if (options.abort) return abortCommand(locked.repository, deps.out);
      const resumed = await continueUpgrade(locked.repository);
      const { out } = deps;
      out.print(
        `${out.c.green("✓")} committed ${resumed.commit.slice(0, 7)}: ${resumed.state.template} ${resumed.state.from} -> ${resumed.state.reached}, with its release notes`,
      );
      if (resumed.state.reached === resumed.state.target) {
        out.result({ ok: true, continued: true, from: resumed.state.from, to: resumed.state.reached, commit: resumed.commit });
        return;
      }
      out.print(`continuing to ${resumed.state.target}`);
      const { state: stopped } = resumed;
      // The rest of the upgrade runs with the first run's choices (a flag given to --continue adds to them).
      return runUpgrade(
        target,
        {
          ...options,
          continue: false,
          to: stopped.target,
          commit: stopped.commit || options.commit,
          verify: options.verify ?? stopped.verify,
          acceptKept: stopped.acceptKept || options.acceptKept,
          conflict: stopped.conflictStyle,
        },
        deps,
        locked,
      );
    }
    return runUpgrade(target, options, deps, locked);
  };
  // The lock comes first and is held to the end: recovery, .paved.yml, the clean-tree check, the writes, the
  // postUpgrade hooks, verification and --commit all happen with no other paved process working on this repository.
  if (lockHeld) return work(await repositoryState(path.resolve(target)));
  await withRepositoryLock(target, work);
}

async function abortCommand(repository: RepositoryState, out: Output): Promise<void> {
  const state = await abortUpgrade(repository);
  out.result({ ok: true, aborted: true, version: state.from, restored: state.touched.length });
  out.print(
    `${out.c.green("✓")} aborted the upgrade to ${state.template} ${state.reached}: ${state.touched.length} path${state.touched.length === 1 ? "" : "s"} and the index restored; ${SERVICE_FILE} records ${state.from} again`,
  );
}

/** What a run under the repository lock has: where it keeps its state and journals its writes. */
interface Locked {
  repository: RepositoryState;
  journal: UpgradeJournal;
}

/** The upgrade itself; `locked` is undefined for a dry run or --check (no lock, nothing written). */
async function runUpgrade(
  target: string,
  options: UpgradeRunOptions,
  deps: UpgradeDependencies,
  locked: Locked | undefined,
): Promise<void> {
  const journal = locked?.journal;
  const started = monotonicMs();
  const { out } = deps;
  const shown = displayPath(target) || ".";
  if (journal) {
    const restored = recoverInterruptedUpgrade(journal);
    if (restored.length > 0) {
      out.warn(
        `an earlier paved upgrade was killed while writing; restored ${restored.length} path${restored.length === 1 ? "" : "s"} to how they were before it`,
      );
    }
  }
  const service = await readServiceFile(target);
  // With --to, make sure a cached git source is fetched when it does not have that version yet.
  const { source, record, versions, chosenBy } = await openServiceSource(
    target,
    options.source,
    service.source,
    service.template,
    options.to?.replace(/^v/, "") ?? service.version,
  );
  out.info(
    `template ${service.template} from ${describeSource(source)} (chosen by ${chosenBy === "--source" ? "--source" : `source: in ${displayPath(chosenBy)}`})`,
  );
  const provenance = { source: source.id, sourceChosenBy: chosenBy };
  if (options.source && sourceHadCredentials(source)) {
    out.warn(
      `the credentials in the source URL were left out of ${SERVICE_FILE} (it records ${source.id}); later runs need them from a git credential helper`,
    );
  }
  if (!versions.includes(service.version)) {
    throw new UserError(`${SERVICE_FILE} records ${service.template} ${service.version}, which ${source.id} does not have`, {
      hint: `pass --source <dir> pointing at templates that include ${service.version} (found: ${versions.join(", ") || "none"})`,
    });
  }
  const latest = latestFor(versions, service.version);

  if (options.check) {
    const available = latest !== service.version;
    const crossed = await Promise.all(
      versionsBetween(versions, service.version, latest).map((v) => source.loadVersion(service.template, v)),
    );
    const notes = releaseNotesOf(crossed.map((v) => v.manifest));
    // ok mirrors the exit code: 1 (a newer version exists) is not ok for a bot gating on it.
    out.result({
      ok: !available,
      template: service.template,
      current: service.version,
      latest,
      updateAvailable: available,
      ...provenance,
      releaseNotes: notes,
    });
    out.print(
      available
        ? `${service.template} ${latest} is available (this service is on ${service.version}); run \`paved upgrade\``
        : `${service.template} ${service.version} is the latest version`,
    );
    const noteLines = formatReleaseNotes(service.template, notes);
    if (noteLines.length > 0) out.print(["", "Release notes:", ...noteLines].join("\n"));
    if (available) throw new ProblemFound("a newer template version exists");
    return;
  }

  const sets = await collectProvided(options.set, options.answersFile);
  if (options.to && options.latest) {
    throw new UserError("--to and --latest both name the target version", { hint: "pass one of them" });
  }
  // --set alone changes answers at the recorded version; moving versions is asked for with --to or --latest.
  let to = sets.size > 0 && !options.latest ? service.version : latest;
  if (options.to) {
    const wanted = options.to.replace(/^v/, "");
    if (!versions.includes(wanted)) {
      throw new UserError(`${service.template} has no such version in ${source.id}`, {
        hint: `use one of: ${versions.join(", ")}`,
        fields: { flag: "--to", value: options.to },
      });
    }
    to = wanted;
  }
  if (semver.lt(to, service.version)) {
    throw new UserError(`--to ${to} is older than ${service.version}, which this service is on; paved does not downgrade`, {
      hint: `to go back, revert the upgrade commit with git (e.g. \`git revert <commit>\`)`,
    });
  }
  if (to === service.version && sets.size === 0) {
    out.result({
      ok: true,
      from: service.version,
      to,
      steps: [],
      actions: [],
      conflicts: [],
      migrations: [],
      releaseNotes: [],
      upToDate: true,
      ...provenance,
    });
    out.print(`${out.c.green("✓")} ${shown} is on ${service.template} ${to}${to === latest ? ", the latest version" : ""}; nothing to do`);
    return;
  }

  const repo = await openRepository(target, locked?.repository);
  const pending = locked && !options.dryRun ? readInProgress(locked.repository) : undefined;
  if (locked && pending) {
    if ((await headCommit(repo)) !== pending.head) {
      // The team committed the stopped upgrade themselves: it landed; nothing is in progress any more.
      clearInProgress(locked.repository);
    } else {
      throw new UserError(`an upgrade of ${shown} to ${pending.template} ${pending.reached} is in progress (it stopped for a person)`, {
        hint: "finish it with `paved upgrade --continue` once resolved, or undo it with `paved upgrade --abort`",
      });
    }
  }
  if (!options.allowDirty && !options.dryRun) {
    const rootPaths = (service.rootFiles ?? []).map((file) => fromServiceFolder(repo.prefix.replace(/\/$/, ""), file));
    await assertNoUncommittedChanges(repo, shown, "the upgrade", rootPaths);
  }

  const chain = await resolvePath(source, versions, service, to, sets, path.basename(target), options.yes ? undefined : deps.prompter);
  const targetStep = targetOf(chain);
  const finalVersion = targetStep.version;
  for (const step of chain.slice(1)) assertPavedVersionFor(step.version.manifest);
  const lockfile = options.lockfile ? lockfileSpecOf(finalVersion.manifest) : undefined;
  const verify = options.verify ?? verifyByDefault(target);
  const finalContext = {
    ...targetStep.answers,
    paved: { template: service.template, version: finalVersion.manifest.version, dirName: path.basename(target), ...cliRenderMeta() },
  };
  const verifyCommands = verify
    ? renderCommands(finalVersion.manifest.test, finalContext, { file: manifestFileOf(finalVersion), field: "test" })
    : [];
  const postUpgrade = renderCommands(finalVersion.manifest.hooks.postUpgrade, finalContext, {
    file: manifestFileOf(finalVersion),
    field: "hooks.postUpgrade",
  });
  const commands = [
    ...chain.slice(1).flatMap((step) =>
      service.version === to
        ? []
        : migrationCommands(step.version.manifest.migrations, {
            context: {
              ...step.answers,
              paved: {
                template: service.template,
                version: step.version.manifest.version,
                dirName: path.basename(target),
                ...cliRenderMeta(),
              },
            },
            where: { file: manifestFileOf(step.version), field: "migrations" },
          }),
    ),
    ...postUpgrade,
    ...verifyCommands,
  ];
  const config = effectiveConfig(target);
  for (const warning of config.warnings) out.warn(warning);
  const trusted = source.trusted || options.trust || configTrust(source.id, config).trusted;
  assertTrusted(commands, trusted, `upgrading to ${service.template} ${to}`, source.id);

  const answersOnly = service.version === to;
  const answerChanges = changedAnswers(service.answers, recordableAnswers(finalVersion.manifest.questions, targetStep.answers));
  out.info(
    answersOnly
      ? `${out.c.bold("paved")} ${options.dryRun ? "planning a re-render of" : "re-rendering"} ${shown} at ${service.template} ${to} with changed answers (the version stays; add --latest or --to to upgrade too)`
      : `${out.c.bold("paved")} ${options.dryRun ? "planning the upgrade of" : "upgrading"} ${shown}: ${service.template} ${service.version} -> ${to}`,
  );
  const top = repositoryTopOf(locked?.repository.root ?? realpathSync(target), repo.prefix);
  const computed = await computeUpgrade({
    template: service.template,
    dirName: path.basename(target),
    servicePath: repo.prefix.replace(/\/$/, ""),
    ours: await readWorkingTree(repo),
    readRootFiles: (paths) => readRootFiles(top, repo.prefix, paths),
    path: chain,
    conflict: options.conflict,
    ...(options.dryRun ? { throughConflicts: true } : { runCommands: scratchRunner(out) }),
  });
  const ours = computed.ours;
  const reached = computed.reached.version;
  const reachedVersion = reached.manifest.version;
  const crossed = answersOnly ? [] : chain.slice(1, 1 + computed.steps.length).map((c) => c.version.manifest);
  const notes = releaseNotesOf(crossed);
  const serviceFile: ServiceFile = {
    ...service,
    source: record,
    version: reachedVersion,
    answers: recordableAnswers(reached.manifest.questions, computed.reached.answers),
  };
  // What the reached version places at the repository root, recorded for the next upgrade and for overlap checks.
  delete serviceFile.rootFiles;
  if (computed.rootFiles.length > 0) serviceFile.rootFiles = computed.rootFiles;
  await assertNewRootFilesFree(top, repo.prefix, service, computed.rootFiles);
  const conflicts = computed.conflicts;
  let finalTree: FileTree = new Map(computed.tree);
  let lockfileChanged: string[] = [];
  let lockfileMs: number | null = null;
  // Only when the merge changed what the lockfile is computed from (package.json): most upgrades need no registry.
  const lockfileDue = lockfile !== undefined && lockfileNeeded(lockfile, ours, computed.tree);
  if (lockfileDue)
    assertTrusted([lockfile.command], trusted, `refreshing the lockfile after upgrading to ${service.template} ${to}`, source.id);
  if (lockfileDue && conflicts.length === 0 && !options.dryRun) {
    const lockStarted = monotonicMs();
    out.info(out.c.dim(`refreshing ${lockfile.files.join(", ")}:`));
    const refreshed = await refreshLockfile(lockfile, finalTree, (line) => out.info(out.c.dim(line)));
    lockfileMs = Math.round(monotonicMs() - lockStarted);
    finalTree = refreshed.tree;
    lockfileChanged = refreshed.changed;
  }
  finalTree.set(SERVICE_FILE, textFile(serializeServiceFile(serviceFile)));
  const changes = treeChanges(ours, finalTree, SERVICE_FILE);
  const actions = computed.steps.flatMap((s) => s.actions.map((a) => ({ ...a, step: `${s.from}->${s.to}` })));
  const migrations: MigrationRecord[] = computed.steps.flatMap((s) => s.migrations);
  const kept = keptAfter(computed);
  const keptNeedsPerson = kept.length > 0 && !options.acceptKept;
  const summary = {
    from: service.version,
    to: reachedVersion,
    target: to,
    steps: computed.steps.map((s) => ({ from: s.from, to: s.to, ...(s.afterConflicts ? { afterConflicts: true } : {}) })),
    actions: actions.map((a) => ({
      path: a.path,
      action: a.action,
      reason: a.reason,
      step: a.step,
      ...(a.notice ? { notice: true } : {}),
    })),
    conflicts: actions.flatMap((a) =>
      isConflicted(a) ? [{ path: a.path, kind: a.conflict.kind, regions: a.conflict.regions, step: a.step }] : [],
    ),
    migrations,
    kept: kept.map((k) => ({ path: k.path, referencedBy: k.referencedBy, accepted: options.acceptKept })),
    releaseNotes: notes,
    ...(answerChanges.length > 0 ? { answerChanges } : {}),
    lockfile: lockfileDue
      ? { files: lockfile.files, changed: lockfileChanged, durationMs: lockfileMs, ...(options.dryRun ? { planned: true } : {}) }
      : null,
  };

  const noteLines = formatReleaseNotes(service.template, notes, (t) => out.c.bold(t));
  if (noteLines.length > 0) out.print(["Release notes:", ...noteLines, ""].join("\n"));
  for (const step of computed.steps) {
    const note =
      step.from === step.to
        ? " (answers changed)"
        : step.afterConflicts
          ? " (planned as if the conflicts above were resolved keeping your lines)"
          : "";
    out.print(`${service.template} ${step.from} -> ${step.to}${note}`);
    const width = Math.max(0, ...step.actions.map((a) => a.path.length));
    for (const a of step.actions) {
      const colour = ACTION_COLOURS[a.action] ?? "dim";
      out.print(
        `  ${out.c[colour](a.action.padEnd(9))} ${escapeControlChars(a.path).padEnd(width)}  ${out.c.dim(escapeControlChars(a.reason))}`,
      );
    }
    for (const m of step.migrations)
      out.print(
        `  ${out.c.cyan("migrate".padEnd(9))} ${escapeControlChars(m.step)}  ${out.c.dim(escapeControlChars(`${m.status}: ${m.detail}`))}`,
      );
    if (step.actions.length === 0 && step.migrations.length === 0) out.print(`  ${out.c.dim("no file changes")}`);
  }
  if (lockfileDue)
    out.print(
      `  ${out.c.cyan("lockfile".padEnd(9))} ${lockfile.files.join(", ")}  ${out.c.dim(options.dryRun ? `would run \`${lockfile.command.display}\` after the merge` : conflicts.length > 0 ? "not refreshed: resolve the conflicts, then run " + `\`${lockfile.command.display}\`` : lockfileChanged.length > 0 ? `refreshed by \`${lockfile.command.display}\`` : "already up to date")}`,
    );

  if (options.dryRun) {
    const wouldFail = conflicts.length > 0 || keptNeedsPerson;
    out.result({ ok: !wouldFail, dryRun: true, ...summary, ...provenance, changes: changeCount(changes) });
    const conflicted =
      conflicts.length > 0
        ? ` ${conflicts.length} file${conflicts.length === 1 ? "" : "s"} would conflict; the upgrade would stop at ${computed.steps.find((s) => s.actions.some((a) => a.conflict))?.to}.`
        : "";
    for (const k of kept) out.print(`${options.acceptKept ? "kept" : out.c.yellow("action needed")}: ${describeKept(k)}`);
    out.print(
      `Dry run: ${changeCount(changes)} file${changeCount(changes) === 1 ? "" : "s"} would change; nothing was written.${conflicted}`,
    );
    if (wouldFail) throw new ProblemFound("the upgrade would stop for a person");
    return;
  }

  // The same staging whatever happens: everything the upgrade changed is staged, except what needs a person
  // (conflicts: unmerged in the index; --conflict rej: the file and its .rej stay unstaged).
  const update: IndexUpdate = { unmerged: [], staged: new Map() };
  const needsPerson = new Set(conflicts.flatMap((a) => [a.path, `${a.path}.rej`]));
  if (conflicts.length > 0 && options.conflict === "inline") {
    update.unmerged = conflicts.map((a) => ({
      path: a.path,
      ...(a.conflict.base ? { base: a.conflict.base } : {}),
      ...(a.conflict.ours ? { ours: a.conflict.ours } : {}),
      ...(a.conflict.theirs ? { theirs: a.conflict.theirs } : {}),
    }));
  }
  // HEAD before anything is written, recorded only when the upgrade can stop for a person (a conflict, a kept
  // file, a test command that may fail): a clean upgrade does not start git for it.
  const mayStop = conflicts.length > 0 || keptNeedsPerson || (verify && verifyCommands.length > 0);
  const head = mayStop ? await headCommit(repo) : undefined;
  stageSoon();
  const blobs = await storeBlobs(repo, update);
  // Last moment to stop: after this the working tree changes in one synchronous step.
  assertNotInterrupted();
  try {
    // At the repository's top: root files are written beside the service's, in the same transaction.
    applyAtomically(top, changesAtTop(changes, repo.prefix), treeAtTop(ours, repo.prefix), () => updateIndex(repo, update, blobs), journal);
  } catch (error) {
    // A full or read-only disk is the user's to fix (exit 2); everything was rolled back by then.
    throw fileSystemError(error, `write the upgrade into ${shown} (nothing was changed)`);
  }
  await stagePaths(
    repo,
    [...changes.writes.keys(), ...changes.deletes].filter((p) => !needsPerson.has(p)),
  );

  const merged = conflicts.length === 0;
  const hooks = merged ? postUpgrade : [];
  if (hooks.length > 0) await runHooks(hooks, target, (line) => out.info(out.c.dim(line)));

  let verified: VerifyResult | null = null;
  if (verify && merged) {
    out.info(out.c.dim(`verifying with the template's test commands:`));
    verified = await verifyService(verifyCommands, target, (line) => out.info(out.c.dim(line)));
  }
  const verifyFailed = verified !== null && !verified.ok;
  const complete = merged && !keptNeedsPerson && !verifyFailed;
  const message = upgradeCommitMessage({
    template: service.template,
    from: service.version,
    to: reachedVersion,
    sourceId: source.id,
    notes,
    answerChanges,
    path: repo.prefix.replace(/\/$/, ""),
  });

  let commit: string | null = null;
  if (options.commit && merged && (complete || options.commitOnFailure)) {
    commit = await commitAll(repo, message, rootPathsOf([...changes.writes.keys(), ...changes.deletes]));
  }
  if (!commit && !complete && locked && head !== undefined) {
    const touched = [...changes.writes.keys(), ...changes.deletes];
    saveInProgress(locked.repository, {
      template: service.template,
      from: service.version,
      reached: reachedVersion,
      target: to,
      head,
      sourceId: source.id,
      commit: options.commit,
      verify,
      acceptKept: options.acceptKept,
      conflictStyle: options.conflict,
      message,
      touched: originalsOf(touched, ours),
    });
  }
  const seconds = (monotonicMs() - started) / 1000;
  out.result({
    ok: complete,
    ...summary,
    ...provenance,
    changes: changeCount(changes),
    verify: verified,
    commit,
    durationMs: Math.round(seconds * 1000),
  });

  for (const a of actions.filter((x) => x.notice && !kept.some((k) => k.path === x.path))) out.warn(`${a.path}: ${a.reason}`);
  for (const m of migrations.filter((x) => x.status === "kept" && !kept.some((k) => x.detail.includes(k.path))))
    out.warn(`migration ${m.version} \`${m.step}\`: ${m.detail}`);
  if (!merged) {
    out.print(
      `\n${out.c.red("✗")} ${conflicts.length} file${conflicts.length === 1 ? "" : "s"} with conflicts (${SERVICE_FILE} now records ${reachedVersion}):`,
    );
    for (const a of conflicts) out.print(`  ${escapeControlChars(describeConflict(a))}`);
    const more = reachedVersion !== to ? ` and goes on to ${to}` : "";
    const finish = `Then \`paved upgrade --continue\` commits it with the release notes${more}; \`paved upgrade --abort\` undoes the upgrade.`;
    out.print(
      options.conflict === "rej"
        ? `Next: apply each .rej file by hand and delete it; the rest of the upgrade is already staged. ${finish}`
        : `Next: edit each file between the <<<<<<< and >>>>>>> markers (or run \`git mergetool\`) and \`git add\` it; the rest of the upgrade is already staged. ${finish}`,
    );
    if (options.conflict === "inline" && conflicts.some((c) => c.conflict?.kind === "binary")) {
      out.print(
        "For a binary file: keep yours with `git add <file>`, or take the template's with `git checkout --theirs <file> && git add <file>`.",
      );
    }
    throw new ProblemFound("upgrade left conflicts");
  }
  for (const k of kept) options.acceptKept ? out.warn(describeKept(k)) : out.print(`${out.c.red("✗")} action needed: ${describeKept(k)}`);
  if (verified && verified.failure) {
    out.print(`${out.c.red("✗")} verification failed: \`${verified.failure.command}\` ${verified.failure.why}; its last lines:`);
    for (const line of verified.failure.tail) out.print(`    ${line}`);
  }
  if (!complete) {
    const reasons = [
      keptNeedsPerson ? "move what you need out of the kept files (or pass --accept-kept)" : "",
      verifyFailed ? "make the failing command pass" : "",
    ]
      .filter(Boolean)
      .join(" and ");
    out.print(
      commit
        ? `Committed ${commit.slice(0, 7)} anyway (--commit-on-failure); next: ${reasons}.`
        : `Next: ${reasons}, then \`paved upgrade --continue\` to commit with the release notes; \`paved upgrade --abort\` undoes the upgrade.`,
    );
    throw new ProblemFound(verifyFailed ? "verification failed" : "kept files need a person");
  }
  const checked = verified ? `, verified (${verified.commands.length} command${verified.commands.length === 1 ? "" : "s"})` : "";
  out.print(
    `${out.c.green("✓")} ${answersOnly ? `Re-rendered ${shown} at ${service.template} ${reachedVersion} with the new answers` : `Upgraded ${shown} from ${service.template} ${service.version} to ${reachedVersion}`}: ${changeCount(changes)} file${changeCount(changes) === 1 ? "" : "s"} changed${checked}` +
      `${commit ? `, committed ${commit.slice(0, 7)}` : ""} in ${seconds.toFixed(1)} s`,
  );
  if (!commit) out.print("Next: review the staged changes with `git diff --cached`, run your tests, then commit.");
}
