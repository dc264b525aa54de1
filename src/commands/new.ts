import { monotonicMs } from "../clock.js";
import { lstatSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { resolveAnswers, type RenderMeta } from "../answers/answers.js";
import { collectProvided } from "../answers/provided.js";
import { cliRenderMetaOf, configTrust, effectiveConfig, pavedCommandIn, withConfiguredDefaults } from "../config.js";
import { assertPavedVersionFor } from "../paved-version.js";
import { UserError } from "../errors.js";
import type { GitSetup } from "../git/create.js";
import { commitStaged, stagePaths, unstagePaths } from "../git/existing-repo.js";
import { commitIdentityArgs } from "../git/identity.js";
import { assertNoOverlap } from "../monorepo/applications.js";
import {
  GITLAB_INCLUDE_LINES,
  gitlabIncludeProblem,
  isGitlabServicePipeline,
  type GitlabIncludeProblem,
} from "../monorepo/gitlab-include.js";
import { openRepoTarget, type RepoTarget } from "../monorepo/repo-target.js";
import { writeRootFiles, type WrittenRootFiles } from "../monorepo/root-files.js";
import { assertTargetFree, createParents, createStaging, removeStaleStaging, type Staging } from "../fs/staging.js";
import { writeTree } from "../fs/write-tree.js";
import { ensureLockfile, lockfileSpecOf, missingLockfiles } from "../lockfile.js";
import { assertTrusted, renderCommands, runHooks, shownCommand } from "../hooks.js";
import type { Output } from "../output.js";
import { renderManifestText } from "../render/manifest-text.js";
import { SERVICE_FILE } from "../service-file.js";
import { renderServiceTree } from "../service-tree.js";
import { describeSource, openSource, resolveVersion, displayPath, sourceHadCredentials, versionFile } from "../templates/source.js";
import { escapeControlChars } from "../terminal-text.js";
import { sortedPaths, type FileTree } from "../tree.js";
import {
  answerOptionsSchema,
  chooseSource,
  commonOptionsSchema,
  describeChoice,
  flagValue,
  parseCommandOptions,
  prereleaseOptionSchema,
  sourceOptionSchema,
} from "./options.js";

export const newOptionsSchema = commonOptionsSchema
  .extend(answerOptionsSchema.shape)
  .extend(sourceOptionSchema.shape)
  .extend(prereleaseOptionSchema.shape)
  .extend({
    version: flagValue.optional(),
    dryRun: z.boolean().default(false),
    git: z.boolean().default(true),
    install: z.boolean().default(true),
    lockfile: z.boolean().default(false),
    remote: flagValue.optional(),
    commit: z.boolean().default(false),
    trust: z.boolean().default(false),
  });
export type NewOptions = z.infer<typeof newOptionsSchema>;

export interface NewDependencies {
  out: Output;
  /** Present only where a person can answer prompts. */
  prompter?: import("../answers/answers.js").Prompter;
}

export async function newCommand(template: string, dir: string | undefined, rawOptions: unknown, deps: NewDependencies): Promise<void> {
  const started = monotonicMs();
  const options = parseCommandOptions(newOptionsSchema, rawOptions, "new");
  const { out } = deps;
  if (options.remote && !options.git) {
    throw new UserError("--remote needs git", { hint: "leave out --no-git, or leave out --remote" });
  }
  if (options.commit && !options.git) {
    throw new UserError("--commit needs git", { hint: "leave out --no-git, or leave out --commit" });
  }

  const choice = chooseSource(options.source);
  const source = await openSource(choice.spec, { prerelease: options.prerelease, warn: (m) => out.warn(m) });
  const versionName = await resolveVersion(source, template, options.version);
  const version = await source.loadVersion(template, versionName);
  const manifestFile = versionFile(version, "template.yaml");
  const config = effectiveConfig();
  const cliMeta = cliRenderMetaOf(config.cli.value);
  assertPavedVersionFor(version.manifest, undefined, cliMeta);
  const configured = withConfiguredDefaults(template, version.manifest.questions, config);
  for (const entry of configured.unused) out.warn(`${entry}: ${template} ${versionName} has no such question; ignored`);
  // Say where the template comes from before it asks anything: a .pavedrc.yml in a parent folder can
  // replace even the built-in `service`. (--json always carries it; the built-in default goes unsaid.)
  if (choice.chosenBy !== "default")
    out.info(`template ${template} ${versionName} from ${describeSource(source)} (${describeChoice(choice.chosenBy)})`);
  const provenance = { source: source.id, sourceChosenBy: choice.chosenBy };

  // Inside an existing git repository the service is added to it (docs/monorepo.md): no nested `git init`, the
  // files staged (or committed with --commit), CI files at the repository root. --no-git runs no git at all, so
  // the target is laid out as a repository of its own, as before.
  const gitModule = options.git ? await import("../git/create.js") : undefined;
  let gitSetup: GitSetup | undefined;
  let repo: RepoTarget | undefined;
  // Fail fast, before any prompt: a killed run's staging dir is cleared (before git status sees it as a change),
  // the repository around the target is checked (clean, no application there yet), then the target must be free.
  const checkTarget = async (t: string) => {
    if (!options.dryRun) removeStaleStaging(t);
    // A dry run writes nothing, so it does not need git; without it the target is shown as a new repository.
    gitSetup = gitModule
      ? await gitModule
          .gitSetupFor(t)
          .catch((error: unknown) => (options.dryRun && error instanceof UserError ? undefined : Promise.reject(error)))
      : undefined;
    repo = gitSetup?.enclosing ? await openRepoTarget(gitSetup.enclosing, t, { commit: options.commit }) : undefined;
    meta.path = repo?.path ?? "";
    if (!options.dryRun) assertTargetFree(t);
  };
  let target = dir === undefined ? undefined : path.resolve(dir);
  const meta: RenderMeta = { template, version: versionName, dirName: target ? path.basename(target) : "", ...cliMeta };
  if (target) await checkTarget(target);

  const provided = await collectProvided(options.set, options.answersFile);
  const { answers } = await resolveAnswers({
    questions: configured.questions,
    provided,
    meta,
    manifestFile,
    defaultOrigins: configured.origins,
    ...(deps.prompter && !options.yes ? { prompter: deps.prompter } : {}),
  });

  if (!target) {
    const name = answers.name;
    if (typeof name !== "string" || name === "") {
      throw new UserError("no target directory given", { hint: `pass one: paved new ${template} <dir>` });
    }
    target = path.resolve(name);
    meta.dirName = path.basename(target);
    await checkTarget(target);
  }
  const inRepo: RepoTarget | undefined = repo;

  // Everything the manifest says is rendered before anything is written: a broken next step or hook
  // command is the template's mistake (exit 2), never a half-made repository.
  const context = { ...answers, paved: meta };
  const hooks = renderCommands(version.manifest.hooks.postCreate, context, { file: manifestFile, field: "hooks.postCreate" }).filter(
    (h) => options.install || !h.install,
  );
  // CI and the image install with `npm ci`, so the lockfile must exist: created when the hooks left it missing.
  // Without installs that needs --lockfile (it asks the registry); otherwise the next steps say what is missing.
  const lockfile = lockfileSpecOf(version.manifest);
  const createLockfile = lockfile !== undefined && (options.install || options.lockfile);
  const commands = [...hooks, ...(createLockfile ? [lockfile.command] : [])];
  for (const warning of config.warnings) out.warn(warning);
  const trustedByConfig = source.trusted || options.trust ? { trusted: false } : configTrust(source.id, config);
  if (trustedByConfig.trusted && commands.length > 0) out.info(`running the template's commands without --trust: ${trustedByConfig.by}`);
  assertTrusted(
    commands,
    source.trusted || options.trust || trustedByConfig.trusted,
    `template ${template} ${versionName}`,
    `${source.id} (${describeChoice(choice.chosenBy)})`,
  );
  // A step that renders empty does not apply here (e.g. `git remote add` for a service inside an existing repository).
  const templateSteps = version.manifest.nextSteps
    .map((step, i) => renderManifestText(step, context, { file: manifestFile, field: `nextSteps[${i}]` }))
    .filter((step) => step.trim() !== "");

  const { tree, root: rootTree, rootFiles } = renderServiceTree(version, answers, meta, target, inRepo?.path ?? "");
  if (inRepo) assertNoOverlap(inRepo.top, { path: inRepo.path, template, rootFiles }, inRepo.applications);
  const files = sortedPaths(tree);
  if (sourceHadCredentials(source)) {
    out.warn(
      `the credentials in the source URL were left out of ${SERVICE_FILE} (it records ${source.id}); upgrade and doctor need them from a git credential helper or PAVED_SOURCE`,
    );
  }
  const shownTarget = displayPath(target);

  const repository = inRepo ? { top: inRepo.top, path: inRepo.path, branch: inRepo.branch ?? null, rootFiles } : null;

  if (options.dryRun) {
    const planOf = (from: FileTree) =>
      [...from]
        .map(([p, entry]) => ({ path: p, action: "create" as const, bytes: entry.data.byteLength }))
        .sort((a, b) => (a.path < b.path ? -1 : 1));
    const plan = planOf(tree);
    const rootPlan = planOf(rootTree);
    out.result({
      ok: true,
      dryRun: true,
      template,
      version: versionName,
      ...provenance,
      target,
      files: plan,
      rootFiles: rootPlan,
      repository,
      hooks: hooks.map((h) => h.display),
    });
    out.print(
      `Would create ${shownTarget} from ${template} ${versionName} (${files.length} files${rootFiles.length ? `, ${rootFiles.length} at the repository root` : ""}):`,
    );
    for (const p of plan) out.print(`  ${out.c.green("create")} ${escapeControlChars(inRepo ? `${inRepo.path}/${p.path}` : p.path)}`);
    for (const p of rootPlan) out.print(`  ${out.c.green("create")} ${escapeControlChars(p.path)}   (repository root)`);
    if (hooks.length) out.print(`Would run: ${hooks.map(shownCommand).join("; ")}`);
    if (inRepo) out.print(`Would run: git add, in ${displayPath(inRepo.top)}${options.commit ? `, and commit on ${inRepo.branch}` : ""}`);
    else if (options.git) out.print("Would run: git init and commit every file");
    return;
  }

  let git: { branch: string; commit: string } | undefined;

  const parents = createParents(target);
  let staging: Staging | undefined;
  let lockfileResult: Awaited<ReturnType<typeof ensureLockfile>> | undefined;
  let writtenRoot: WrittenRootFiles | undefined;
  let moved = false;
  let initialized: Promise<void> | undefined;
  try {
    staging = createStaging(target);
    out.info(`${out.c.bold("paved")} creating ${shownTarget} from ${template} ${versionName}`);
    // With no hook or lockfile command to run in the directory first, `git init` (which writes only .git) runs
    // while the files are written. After hooks it waits for them, as they ran in a folder without git before.
    if (!inRepo && gitModule && gitSetup && hooks.length === 0 && !createLockfile) {
      initialized = gitModule.initRepository(staging.dir, gitSetup.branch);
      initialized.catch(() => {}); // awaited below
    }
    await writeTree(staging.dir, tree);
    if (hooks.length) await runHooks(hooks, staging.dir, (line) => out.info(out.c.dim(line)));
    if (lockfile) {
      lockfileResult = createLockfile
        ? await ensureLockfile(lockfile, staging.dir, (line) => out.info(out.c.dim(line)))
        : { created: [], missing: missingLockfiles(lockfile, staging.dir) };
    }
    if (inRepo) {
      // Last, after the slow hooks: the root files, then the folder moved into place, then `git add` of both.
      writtenRoot = writeRootFiles(inRepo.top, rootTree);
      staging.commit();
      moved = true;
      try {
        await stagePaths(inRepo.top, [inRepo.path, ...rootFiles]);
      } catch (error) {
        await unstagePaths(inRepo.top, [inRepo.path, ...rootFiles]);
        throw error;
      }
    } else if (gitModule && gitSetup) {
      const name = typeof answers.name === "string" ? answers.name : meta.dirName;
      const message = `Create ${name} from ${template} ${versionName}\n\nGenerated by \`paved new ${template}\` (template ${template} ${versionName}, source ${source.id}).`;
      await (initialized ?? gitModule.initRepository(staging.dir, gitSetup.branch));
      const result = await gitModule.commitEverything(staging.dir, message, gitSetup);
      if (result.usedFallbackIdentity) {
        out.warn(
          `no git identity is configured; the first commit is by paved <paved@localhost>. Set yours with \`git config --global user.name/user.email\`.`,
        );
      }
      if (options.remote) await gitModule.addRemoteAndPush(staging.dir, options.remote, result.branch);
      git = { branch: result.branch, commit: result.commit };
    }
    if (!moved) staging.commit();
    writtenRoot?.keep();
    parents.keep();
  } catch (error) {
    await initialized?.catch(() => {}); // a git init still running would write into the folder being removed
    staging?.discard();
    if (moved) rmSync(target, { recursive: true, force: true }); // made by this run: the target was missing or empty
    writtenRoot?.undo();
    parents.undo();
    throw error;
  }
  let fallbackIdentity = false;
  if (inRepo && options.commit && inRepo.branch) {
    const name = typeof answers.name === "string" ? answers.name : meta.dirName;
    const identity = await commitIdentityArgs(inRepo.top);
    fallbackIdentity = identity.length > 0;
    const message = `paved: add ${template} ${name} at ${inRepo.path}\n\nGenerated by \`paved new ${template}\` (template ${template} ${versionName}, source ${source.id}).`;
    git = { branch: inRepo.branch, commit: await commitStaged(inRepo.top, message, identity) };
  }
  if (fallbackIdentity)
    out.warn(
      "no git identity is configured; the commit is by paved <paved@localhost>. Set yours with `git config --global user.name/user.email`.",
    );
  const gitlabInclude = inRepo ? gitlabIncludeAdvice(inRepo.top, rootFiles) : undefined;

  const seconds = (monotonicMs() - started) / 1000;
  const missingLock = lockfileResult?.missing ?? [];
  const nextSteps = [
    ...(gitlabInclude
      ? [
          `add to ${gitlabInclude.file}: ${GITLAB_INCLUDE_LINES.map((l) => l.trim()).join(" ")}   # GitLab runs ${gitlabInclude.included} only when the root pipeline includes it`,
        ]
      : []),
    ...(inRepo && !git
      ? [
          `git commit -m "paved: add ${template} ${typeof answers.name === "string" ? answers.name : meta.dirName} at ${inRepo.path}"   # the files are staged`,
        ]
      : []),
    `cd ${shownTarget}`,
    ...(missingLock.length > 0 && lockfile
      ? [
          `${lockfile.command.display} && git add ${missingLock.join(" ")} && git commit -m "Add ${missingLock.join(", ")}"   # CI's \`npm ci\` needs it`,
        ]
      : []),
    ...templateSteps,
    `${pavedCommandIn(cliMeta)} doctor`,
  ];
  out.result({
    ok: true,
    template,
    version: versionName,
    ...provenance,
    target,
    files: files.length,
    paths: files,
    git: git ?? null,
    repository: repository ? { ...repository, staged: !git, gitlabInclude: gitlabInclude ?? null } : null,
    remote: options.remote ?? null,
    hooks: hooks.map((h) => h.display),
    lockfile: lockfileResult ? { created: lockfileResult.created, missing: lockfileResult.missing } : null,
    durationMs: Math.round(seconds * 1000),
    nextSteps,
  });
  if (inRepo) {
    const where = rootFiles.length ? ` (+${rootFiles.length} at the repository root: ${rootFiles.join(", ")})` : "";
    const how = git
      ? `committed on ${git.branch} @ ${git.commit.slice(0, 7)}`
      : inRepo.branch
        ? `staged on ${inRepo.branch}`
        : "staged (HEAD is detached: switch to a branch before you commit)";
    out.print(
      `${out.c.green("✓")} Added ${out.c.bold(shownTarget)} to ${displayPath(inRepo.top)} from ${template} ${versionName}: ${files.length} files${where}, ${how} in ${seconds.toFixed(1)} s`,
    );
  } else {
    out.print(
      `${out.c.green("✓")} Created ${out.c.bold(shownTarget)} from ${template} ${versionName}: ${files.length} files` +
        `${git ? `, git ${git.branch} @ ${git.commit.slice(0, 7)}` : ""}${options.remote ? `, pushed to ${options.remote}` : ""} in ${seconds.toFixed(1)} s`,
    );
  }
  if (gitlabInclude) {
    const state = { missing: "does not exist", invalid: "is not valid YAML", "not-included": `does not include ${gitlabInclude.included}` }[
      gitlabInclude.problem
    ];
    out.warn(
      `${gitlabInclude.file} ${state}: GitLab runs ${gitlabInclude.included} only when the repository's root pipeline includes it. Add these lines to ${gitlabInclude.file} (paved does not write it: all services share it):`,
    );
    for (const line of GITLAB_INCLUDE_LINES) out.info(`  ${line}`);
  }
  if (missingLock.length > 0 && lockfile) {
    const why = lockfileResult?.error
      ? `\`${lockfile.command.display}\` failed: ${lockfileResult.error}`
      : "--no-install skipped it; pass --lockfile to create it without installing";
    out.warn(
      `${missingLock.join(", ")} was not created (${why}); the generated CI and Dockerfile install with \`npm ci\`, which needs it (see the next steps)`,
    );
  }
  out.print("\nNext steps:");
  for (const step of nextSteps) out.print(`  ${escapeControlChars(step)}`);
}

/** When a GitLab pipeline was placed in `.gitlab/ci/` and the root `.gitlab-ci.yml` does not include it: what to say. */
function gitlabIncludeAdvice(
  top: string,
  rootFiles: readonly string[],
): { file: string; included: string; problem: GitlabIncludeProblem } | undefined {
  const included = rootFiles.find((p) => isGitlabServicePipeline(p));
  if (!included) return undefined;
  const file = ".gitlab-ci.yml";
  const full = path.join(top, file);
  const text = lstatSync(full, { throwIfNoEntry: false })?.isFile() ? readFileSync(full, "utf8") : undefined;
  const problem = gitlabIncludeProblem(text, included);
  return problem ? { file, included, problem } : undefined;
}
