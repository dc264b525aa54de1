import path from "node:path";
import { z } from "zod";
import { recordableAnswers, resolveAnswers, type RenderMeta } from "../answers/answers.js";
import { collectProvided } from "../answers/provided.js";
import { cliRenderMetaOf, configTrust, effectiveConfig, pavedCommandIn, withConfiguredDefaults } from "../config.js";
import { assertPavedVersionFor } from "../paved-version.js";
import { UserError } from "../errors.js";
import { assertTargetFree, createParents, createStaging, removeStaleStaging, type Staging } from "../fs/staging.js";
import { writeTree } from "../fs/write-tree.js";
import { ensureLockfile, lockfileSpecOf, missingLockfiles } from "../lockfile.js";
import { assertTrusted, renderCommands, runHooks, shownCommand } from "../hooks.js";
import type { Output } from "../output.js";
import { renderManifestText } from "../render/manifest-text.js";
import { renderTemplate } from "../render/render.js";
import { SERVICE_FILE, serializeServiceFile } from "../service-file.js";
import { describeSource, openSource, recordSource, resolveVersion, displayPath, sourceHadCredentials } from "../templates/source.js";
import { escapeControlChars } from "../terminal-text.js";
import { sortedPaths, textFile, type FileTree } from "../tree.js";
import { answerOptionsSchema, chooseSource, commonOptionsSchema, describeChoice, flagValue, parseCommandOptions, sourceOptionSchema } from "./options.js";

export const newOptionsSchema = commonOptionsSchema
  .extend(answerOptionsSchema.shape)
  .extend(sourceOptionSchema.shape)
  .extend({
    version: flagValue.optional(),
    dryRun: z.boolean().default(false),
    git: z.boolean().default(true),
    install: z.boolean().default(true),
    lockfile: z.boolean().default(false),
    remote: flagValue.optional(),
    trust: z.boolean().default(false),
    prerelease: z.boolean().default(false),
  });
export type NewOptions = z.infer<typeof newOptionsSchema>;

export interface NewDependencies {
  out: Output;
  /** Present only where a person can answer prompts. */
  prompter?: import("../answers/answers.js").Prompter;
}

export async function newCommand(template: string, dir: string | undefined, rawOptions: unknown, deps: NewDependencies): Promise<void> {
  const started = performance.now();
  const options = parseCommandOptions(newOptionsSchema, rawOptions, "new");
  const { out } = deps;
  if (options.remote && !options.git) {
    throw new UserError("--remote needs git", { hint: "leave out --no-git, or leave out --remote" });
  }

  const choice = chooseSource(options.source);
  const source = await openSource(choice.spec, { prerelease: options.prerelease, warn: (m) => out.warn(m) });
  const versionName = await resolveVersion(source, template, options.version);
  const version = await source.loadVersion(template, versionName);
  const manifestFile = displayPath(path.join(version.dir, "template.yaml"));
  const config = effectiveConfig();
  const cliMeta = cliRenderMetaOf(config.cli.value);
  assertPavedVersionFor(version.manifest, undefined, cliMeta);
  const configured = withConfiguredDefaults(template, version.manifest.questions, config);
  for (const entry of configured.unused) out.warn(`${entry}: ${template} ${versionName} has no such question; ignored`);
  // Say where the template comes from before it asks anything: a .pavedrc.yml in a parent folder can
  // replace even the built-in `service`. (--json always carries it; the built-in default goes unsaid.)
  if (choice.chosenBy !== "default") out.info(`template ${template} ${versionName} from ${describeSource(source)} (${describeChoice(choice.chosenBy)})`);
  const provenance = { source: source.id, sourceChosenBy: choice.chosenBy };

  // Fail fast, before any prompt: a killed run's staging dir is cleared, then the target must be free.
  const checkTarget = (t: string) => {
    if (options.dryRun) return;
    removeStaleStaging(t);
    assertTargetFree(t);
  };
  let target = dir === undefined ? undefined : path.resolve(dir);
  if (target) checkTarget(target);

  const meta: RenderMeta = { template, version: versionName, dirName: target ? path.basename(target) : "", ...cliMeta };
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
    checkTarget(target);
  }

  // Everything the manifest says is rendered before anything is written: a broken next step or hook
  // command is the template's mistake (exit 2), never a half-made repository.
  const context = { ...answers, paved: meta };
  const hooks = renderCommands(version.manifest.hooks.postCreate, context, `${manifestFile}: hooks.postCreate`).filter((h) => options.install || !h.install);
  // CI and the image install with `npm ci`, so the lockfile must exist: created when the hooks left it missing.
  // Without installs that needs --lockfile (it asks the registry); otherwise the next steps say what is missing.
  const lockfile = lockfileSpecOf(version.manifest);
  const createLockfile = lockfile !== undefined && (options.install || options.lockfile);
  const commands = [...hooks, ...(createLockfile ? [lockfile.command] : [])];
  for (const warning of config.warnings) out.warn(warning);
  const trustedByConfig = source.trusted || options.trust ? { trusted: false } : configTrust(source.id, config);
  if (trustedByConfig.trusted && commands.length > 0) out.info(`running the template's commands without --trust: ${trustedByConfig.by}`);
  assertTrusted(commands, source.trusted || options.trust || trustedByConfig.trusted, `template ${template} ${versionName}`, `${source.id} (${describeChoice(choice.chosenBy)})`);
  const templateSteps = version.manifest.nextSteps.map((step, i) => renderManifestText(step, context, `${manifestFile}: nextSteps[${i}]`));

  const rendered = renderTemplate(version, answers, meta);
  const tree: FileTree = new Map(rendered.tree);
  tree.set(
    SERVICE_FILE,
    textFile(serializeServiceFile({ template, source: recordSource(source, target), version: versionName, answers: recordableAnswers(version.manifest.questions, answers) })),
  );
  const files = sortedPaths(tree);
  if (sourceHadCredentials(source)) {
    out.warn(`the credentials in the source URL were left out of ${SERVICE_FILE} (it records ${source.id}); upgrade and doctor need them from a git credential helper or PAVED_SOURCE`);
  }
  const shownTarget = displayPath(target);

  if (options.dryRun) {
    const plan = files.map((p) => ({ path: p, action: "create" as const, bytes: tree.get(p)!.data.byteLength }));
    out.result({ ok: true, dryRun: true, template, version: versionName, ...provenance, target, files: plan, hooks: hooks.map((h) => h.display) });
    out.print(`Would create ${shownTarget} from ${template} ${versionName} (${files.length} files):`);
    for (const p of plan) out.print(`  ${out.c.green("create")} ${escapeControlChars(p.path)}`);
    if (hooks.length) out.print(`Would run: ${hooks.map(shownCommand).join("; ")}`);
    if (options.git) out.print("Would run: git init and commit every file");
    return;
  }

  let git: { branch: string; commit: string } | undefined;
  const gitModule = options.git ? await import("../git/create.js") : undefined;
  const gitSetup = gitModule ? await gitModule.gitSetupFor(target) : undefined;
  if (gitSetup?.enclosing) {
    throw new UserError(`${shownTarget} is inside the git repository ${gitSetup.enclosing}`, {
      hint: "choose a target outside it, or pass --no-git to add the files to that repository yourself",
    });
  }

  const parents = createParents(target);
  let staging: Staging | undefined;
  let lockfileResult: Awaited<ReturnType<typeof ensureLockfile>> | undefined;
  try {
    staging = createStaging(target);
    out.info(`${out.c.bold("paved")} creating ${shownTarget} from ${template} ${versionName}`);
    await writeTree(staging.dir, tree);
    if (hooks.length) await runHooks(hooks, staging.dir, (line) => out.info(out.c.dim(line)));
    if (lockfile) {
      lockfileResult = createLockfile
        ? await ensureLockfile(lockfile, staging.dir, (line) => out.info(out.c.dim(line)))
        : { created: [], missing: missingLockfiles(lockfile, staging.dir) };
    }
    if (gitModule && gitSetup) {
      const name = typeof answers.name === "string" ? answers.name : meta.dirName;
      const message = `Create ${name} from ${template} ${versionName}\n\nGenerated by \`paved new ${template}\` (template ${template} ${versionName}, source ${source.id}).`;
      const result = await gitModule.initRepositoryWithCommit(staging.dir, message, gitSetup);
      if (result.usedFallbackIdentity) {
        out.warn(`no git identity is configured; the first commit is by paved <paved@localhost>. Set yours with \`git config --global user.name/user.email\`.`);
      }
      if (options.remote) await gitModule.addRemoteAndPush(staging.dir, options.remote, result.branch);
      git = { branch: result.branch, commit: result.commit };
    }
    staging.commit();
    parents.keep();
  } catch (error) {
    staging?.discard();
    parents.undo();
    throw error;
  }

  const seconds = (performance.now() - started) / 1000;
  const missingLock = lockfileResult?.missing ?? [];
  const nextSteps = [
    `cd ${shownTarget}`,
    ...(missingLock.length > 0 && lockfile ? [`${lockfile.command.display} && git add ${missingLock.join(" ")} && git commit -m "Add ${missingLock.join(", ")}"   # CI's \`npm ci\` needs it`] : []),
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
    remote: options.remote ?? null,
    hooks: hooks.map((h) => h.display),
    lockfile: lockfileResult ? { created: lockfileResult.created, missing: lockfileResult.missing } : null,
    durationMs: Math.round(seconds * 1000),
    nextSteps,
  });
  out.print(
    `${out.c.green("✓")} Created ${out.c.bold(shownTarget)} from ${template} ${versionName}: ${files.length} files` +
      `${git ? `, git ${git.branch} @ ${git.commit.slice(0, 7)}` : ""}${options.remote ? `, pushed to ${options.remote}` : ""} in ${seconds.toFixed(1)} s`,
  );
  if (missingLock.length > 0 && lockfile) {
    const why = lockfileResult?.error ? `\`${lockfile.command.display}\` failed: ${lockfileResult.error}` : "--no-install skipped it; pass --lockfile to create it without installing";
    out.warn(`${missingLock.join(", ")} was not created (${why}); the generated CI and Dockerfile install with \`npm ci\`, which needs it (see the next steps)`);
  }
  out.print("\nNext steps:");
  for (const step of nextSteps) out.print(`  ${escapeControlChars(step)}`);
}
