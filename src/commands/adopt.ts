import { lstatSync, rmdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Prompter } from "../answers/answers.js";
import { collectProvided } from "../answers/provided.js";
import { repoReader } from "../adopt/infer.js";
import { planAdoption, type AdoptionPlan } from "../adopt/plan.js";
import { RepoFiles } from "../doctor/repo-files.js";
import { defined, UserError } from "../errors.js";
import { fileSystemError } from "../fs/fs-error.js";
import { withRepositoryLock } from "../fs/lock.js";
import { createEntry, makeParents, replaceEntry } from "../fs/safe-write.js";
import type { Output } from "../output.js";
import { SERVICE_FILE, serializeServiceFile } from "../service-file.js";
import {
  describeSource,
  displayPath,
  openSource,
  recordSource,
  resolveVersion,
  sourceHadCredentials,
  type TemplateSource,
} from "../templates/source.js";
import { escapeControlChars } from "../terminal-text.js";
import { textFile } from "../tree.js";
import { assertNoUncommittedChanges, openRepository } from "../git/worktree.js";
import { workingTreeOf } from "../upgrade/drift.js";
import { driftStatLines } from "./diff.js";
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

export const adoptOptionsSchema = commonOptionsSchema
  .extend(answerOptionsSchema.shape)
  .extend(sourceOptionSchema.shape)
  .extend(prereleaseOptionSchema.shape)
  .extend({
    version: flagValue.optional(),
    dryRun: z.boolean().default(false),
    apply: z.boolean().default(false),
    allowDirty: z.boolean().default(false),
    force: z.boolean().default(false),
  });
export type AdoptOptions = z.infer<typeof adoptOptionsSchema>;

export interface AdoptDependencies {
  out: Output;
  /** Present only where a person can answer prompts. */
  prompter?: Prompter;
}

function assertDirectory(target: string, shown: string): void {
  let isDir = false;
  try {
    isDir = statSync(target).isDirectory();
  } catch {
    throw new UserError(`${shown} does not exist`, { hint: "pass the directory of the repository to adopt" });
  }
  if (!isDir) throw new UserError(`${shown} is not a directory`, { hint: "pass the directory of the repository to adopt" });
}

/**
 * The refusals that need no template: a repository already on a template (unless --force) and uncommitted changes
 * (unless --allow-dirty; a dry run writes nothing, so it may look at a dirty tree). Returns whether it is in git.
 */
async function assertAdoptable(target: string, shown: string, options: AdoptOptions): Promise<boolean> {
  if (!options.force && lstatSync(path.join(target, SERVICE_FILE), { throwIfNoEntry: false })) {
    throw new UserError(`${shown} already has ${SERVICE_FILE}: it is on a template`, {
      hint: `use \`paved upgrade\` or \`paved diff\` there, or pass --force to adopt it again (${SERVICE_FILE} is replaced)`,
    });
  }
  const repo = await openRepository(target).catch(() => undefined);
  if (repo && !options.allowDirty && !options.dryRun) await assertNoUncommittedChanges(repo, shown, "the adoption");
  return repo !== undefined;
}

/**
 * Write `.paved.yml` and, with --apply, the template's files the repository lacks: each new file is created
 * exclusively through the safe writer (never over anything, never through a symlink). If any write fails,
 * what this run created is removed again, so nothing is half adopted.
 */
function writeAdoption(
  target: string,
  serviceFile: string,
  replace: boolean,
  plan: AdoptionPlan,
  apply: boolean,
): { created: string[]; present: string[] } {
  const createdFiles: string[] = [];
  const createdDirs: string[] = [];
  const created: string[] = [];
  const present: string[] = [];
  const known = new Set<string>();
  try {
    for (const relative of apply ? plan.missing : []) {
      createdDirs.push(...makeParents(target, relative, known));
      const full = path.join(target, ...relative.split("/"));
      try {
        createEntry(full, defined(plan.chosen.rendered.get(relative), "the rendered entry of a file the repository lacks"));
      } catch (error) {
        // Ignored by git, so not among the repository's files, yet there: never overwritten.
        if ((error as NodeJS.ErrnoException).code === "EEXIST") {
          present.push(relative);
          continue;
        }
        throw error;
      }
      createdFiles.push(full);
      created.push(relative);
    }
    const entry = textFile(serviceFile);
    if (replace) replaceEntry(target, SERVICE_FILE, entry);
    else createEntry(path.join(target, SERVICE_FILE), entry);
  } catch (error) {
    for (const file of createdFiles) rmSync(file, { force: true });
    for (const dir of createdDirs.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // not empty: something else is there now
      }
    }
    throw fileSystemError(error, `write the adoption into ${displayPath(target) || "."} (nothing was changed)`);
  }
  return { created, present };
}

function candidateRows(plan: AdoptionPlan) {
  return plan.candidates.map((c) =>
    "closeness" in c
      ? {
          version: c.version.manifest.version,
          score: c.closeness.lines,
          files: c.closeness.files,
          identical: c.closeness.identical,
          differing: c.closeness.differing,
          missing: c.closeness.missing,
          chosen: c === plan.chosen,
        }
      : { version: c.version.manifest.version, score: null, skipped: c.reason, chosen: false },
  );
}

export async function adoptCommand(template: string, dir: string | undefined, rawOptions: unknown, deps: AdoptDependencies): Promise<void> {
  const options = parseCommandOptions(adoptOptionsSchema, rawOptions, "adopt");
  const target = path.resolve(dir ?? ".");
  const shown = path.relative(process.cwd(), target) === "" ? "the current directory" : displayPath(target);
  assertDirectory(target, shown);
  if (options.dryRun) return adopt(template, target, shown, options, deps);
  // As upgrade: the lock is taken first and held through every read and write.
  await withRepositoryLock(target, () => adopt(template, target, shown, options, deps));
}

async function adopt(template: string, target: string, shown: string, options: AdoptOptions, deps: AdoptDependencies): Promise<void> {
  const { out } = deps;
  const inGit = await assertAdoptable(target, shown, options);
  const choice = chooseSource(options.source);
  const source = await openSource(choice.spec, { prerelease: options.prerelease, warn: (m) => out.warn(m) });
  const requested = options.version === undefined ? undefined : await resolveVersion(source, template, options.version);
  // The newest visible version: its infer rules stand in for older versions' (and a template without one is refused here).
  const latestName = await resolveVersion(source, template, undefined);
  const names = requested ? [requested] : await source.listVersions(template);
  if (choice.chosenBy !== "default") out.info(`template ${template} from ${describeSource(source)} (${describeChoice(choice.chosenBy)})`);
  const [versions, latest] = await Promise.all([
    Promise.all(names.map((v) => source.loadVersion(template, v))),
    source.loadVersion(template, latestName),
  ]);

  const provided = await collectProvided(options.set, options.answersFile);
  const files = repoReader(new RepoFiles(target));
  const ours = await workingTreeOf(target);
  const plan = await planAdoption({
    template,
    versions,
    latest,
    provided,
    files,
    ours,
    dirName: path.basename(target),
    ...(deps.prompter && !options.yes ? { prompter: deps.prompter } : {}),
  });
  const { chosen } = plan;
  const version = chosen.version.manifest.version;
  const serviceFile = serializeServiceFile({ template, source: recordSource(source, target), version, answers: plan.recorded });
  if (sourceHadCredentials(source))
    out.warn(`the credentials in the source URL were left out of ${SERVICE_FILE} (it records ${source.id})`);

  let written: { created: string[]; present: string[] } = { created: [], present: [] };
  if (!options.dryRun) {
    const replace = lstatSync(path.join(target, SERVICE_FILE), { throwIfNoEntry: false }) !== undefined;
    written = writeAdoption(target, serviceFile, replace, plan, options.apply);
  }
  report(out, { template, target, shown, options, source, plan, inGit, written, chosenBy: requested ? "--version" : "score" });
}

interface Report {
  template: string;
  target: string;
  shown: string;
  options: AdoptOptions;
  source: TemplateSource;
  plan: AdoptionPlan;
  inGit: boolean;
  written: { created: string[]; present: string[] };
  chosenBy: "--version" | "score";
}

function nextStepsOf(r: Report): string[] {
  const version = r.plan.chosen.version.manifest.version;
  const add = [SERVICE_FILE, ...r.written.created].join(" ");
  const upgrade = "paved upgrade   # brings the template's changes in by three-way merge with " + `${r.template} ${version} as the base`;
  const commit = `git add ${add} && git commit -m "Adopt ${r.template} ${version}"`;
  if (!r.inGit) return [`git init && git add -A && git commit -m "Adopt ${r.template} ${version}"   # paved upgrade needs git`, upgrade];
  return [commit, "paved diff      # the full patch of the drift above", upgrade];
}

/** The template's files the run creates (or, in a dry run, would create) with --apply. */
function appliedFiles(r: Report): string[] {
  return !r.options.apply ? [] : r.options.dryRun ? r.plan.missing : r.written.created;
}

/** What the chosen version's render still differs in once the adoption is written (files --apply creates no longer do). */
function remainingDrift(r: Report) {
  const applied = new Set(appliedFiles(r));
  return r.plan.chosen.drift.filter((f) => !(f.status === "deleted" && applied.has(f.path)));
}

/** Inferred answers of questions that apply (a question whose `when` is false was not asked). */
function inferredAnswers(plan: AdoptionPlan) {
  const { chosen } = plan;
  return [...chosen.inference.answers.values()].filter(
    (a) => chosen.answers[a.question] !== null && chosen.answers[a.question] !== undefined,
  );
}

function report(out: Output, r: Report): void {
  const { plan, options } = r;
  const { chosen } = plan;
  const version = chosen.version.manifest.version;
  const secret = new Set(chosen.version.manifest.questions.filter((q) => q.secret).map((q) => q.name));
  const inferred = inferredAnswers(plan);
  const drift = remainingDrift(r);
  const nextSteps = nextStepsOf(r);
  out.result({
    ok: true,
    dryRun: options.dryRun,
    template: r.template,
    version,
    chosenBy: r.chosenBy,
    source: r.source.id,
    target: r.target,
    git: r.inGit,
    candidates: candidateRows(plan),
    answers: plan.recorded,
    inferred: inferred.map((a) => ({ question: a.question, value: secret.has(a.question) ? null : a.value, from: a.from })),
    notes: chosen.inference.notes,
    written: options.dryRun ? [] : [SERVICE_FILE, ...r.written.created],
    ...(options.apply ? { apply: { [options.dryRun ? "wouldCreate" : "created"]: appliedFiles(r), present: r.written.present } } : {}),
    missing: plan.missing,
    drift: {
      files: drift.map((f) => ({ path: f.path, status: f.status, binary: f.binary, added: f.added, removed: f.removed })),
      added: drift.reduce((n, f) => n + f.added, 0),
      removed: drift.reduce((n, f) => n + f.removed, 0),
    },
    nextSteps,
  });

  out.print(`Inferred from ${r.shown}:`);
  const width = Math.max(0, ...inferred.map((a) => a.question.length));
  for (const a of inferred)
    out.print(
      `  ${a.question.padEnd(width)}  ${escapeControlChars(secret.has(a.question) ? "***" : JSON.stringify(a.value))}  ${out.c.dim(`from ${escapeControlChars(a.from)}`)}`,
    );
  if (inferred.length === 0) out.print(`  ${out.c.dim("nothing (no infer rule found a usable value)")}`);
  for (const n of chosen.inference.notes) out.warn(`${n.question}: ${escapeControlChars(n.rule)}: ${escapeControlChars(n.reason)}`);
  printScores(out, r);
  if (!r.inGit)
    out.warn(`${r.shown} is not in a git repository: adopt works without one, but \`paved upgrade\` needs git (see the next steps)`);

  const shownAnswers = Object.entries(plan.recorded).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : String(v)}`);
  out.print(
    `\n${options.dryRun ? "Would record" : "Recorded"} ${r.template} ${version} in ${SERVICE_FILE}: ${escapeControlChars(shownAnswers.join(" "))}`,
  );
  const missing = plan.missing.length;
  if (options.apply) {
    const files = appliedFiles(r);
    out.print(
      `${options.dryRun ? "Would create" : "Created"} ${files.length} file${files.length === 1 ? "" : "s"} of the template that ${r.shown} lacked${files.length ? ":" : ""}`,
    );
    for (const f of files) out.print(`  ${out.c.green("create")} ${escapeControlChars(f)}`);
    for (const f of r.written.present) out.print(`  ${out.c.dim(`left alone (ignored by git, but present): ${escapeControlChars(f)}`)}`);
  } else if (missing > 0) {
    const them = missing === 1 ? "it" : "them";
    out.print(
      `${missing} file${missing === 1 ? "" : "s"} of the template ${missing === 1 ? "is" : "are"} missing here; \`paved upgrade\` treats ${them} as deleted by the team (--apply creates ${them}).`,
    );
  }

  if (drift.length === 0)
    out.print(`\n${out.c.green("✓")} no drift: every file matches ${r.template} ${version} rendered with these answers`);
  else {
    out.print(`\nDrift from ${r.template} ${version} (as \`paved diff --stat\` shows it):`);
    for (const line of driftStatLines(drift)) out.print(escapeControlChars(line));
  }
  if (options.dryRun) out.print("\nDry run: nothing was written.");
  out.print("\nNext steps:");
  for (const step of nextSteps) out.print(`  ${escapeControlChars(step)}`);
}

function printScores(out: Output, r: Report): void {
  out.print("\nScores (lines that differ from each version's render, a missing file counting all its lines; lower is closer):");
  for (const c of r.plan.candidates) {
    const name = c.version.manifest.version.padEnd(10);
    if (!("closeness" in c)) {
      out.print(`  ${name} ${out.c.dim(`skipped: ${escapeControlChars(c.reason)}`)}`);
      continue;
    }
    const k = c.closeness;
    const mark = c === r.plan.chosen ? out.c.green(`  <- ${r.chosenBy === "--version" ? "--version" : "closest"}`) : "";
    out.print(
      `  ${name} ${String(k.lines).padStart(6)} lines  (${k.files} file${k.files === 1 ? "" : "s"}: ${k.identical} identical, ${k.differing} differ, ${k.missing} missing)${mark}`,
    );
  }
}
