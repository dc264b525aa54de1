/**
 * paved as a library: what `paved new` does, for programs (the Backstage action in integrations/backstage).
 * No terminal, no prompts, no process.exit, no ambient configuration: every input is an argument. A mistake in
 * the input is thrown as a UserError (exported below) whose `code` and `fields` say what it is about.
 */
import path from "node:path";
import { z } from "zod";
import { recordableAnswers, resolveAnswers, type Answers, type ProvidedAnswer, type RenderMeta } from "./answers/answers.js";
import { answerValueSchema } from "./answers/value.js";
import { UserError, type ErrorFields, type UserErrorCode } from "./errors.js";
import { assertTargetFree, createParents, createStaging, removeStaleStaging, type Staging } from "./fs/staging.js";
import { writeTree } from "./fs/write-tree.js";
import { assertTrusted } from "./hooks.js";
import { ensureLockfile, lockfileSpecOf } from "./lockfile.js";
import { renderServiceTree } from "./service-tree.js";
import { BUILTIN_SOURCE_ID, openSource, recordSource, resolveVersion, versionFile } from "./templates/source.js";
import { sortedPaths } from "./tree.js";
import { firstIssue, formatIssuePath } from "./validation.js";
import { cliRenderMeta } from "./config.js";

export { UserError };
export type { ErrorFields, UserErrorCode };

/** An answer as a program passes it: typed values, or text as `--set` takes it (coerced to the question's type). */

const createServiceOptionsSchema = z
  .object({
    template: z.string().min(1, "must name a template, e.g. service"),
    /** "builtin" (the default), a local directory or a git URL, as `--source` takes. */
    source: z.string().min(1).optional(),
    /** A version of the template (default: the newest release). */
    version: z.string().min(1).optional(),
    prerelease: z.boolean().optional(),
    /** Answers by question name (null or undefined: not answered); the rest take their defaults, and a required one without a default is an error. */
    answers: z.record(z.string(), answerValueSchema.optional()).default({}),
    /** Where the service is created: must not exist or be an empty directory. */
    targetDir: z.string().min(1),
    /** What `{{paved.dirName}}` (the default of a `name` question) is; default: the base name of targetDir. */
    dirName: z.string().optional(),
    /**
     * Create the template's lockfile (package-lock.json for the service template) with its `lockfile.command`,
     * which asks the package registry and installs nothing: the generated CI's `npm ci` needs the file.
     */
    lockfile: z.boolean().optional(),
    /** Run a template's commands (the lockfile command) from a source other than the built-in one. */
    trust: z.boolean().optional(),
    /** Render and list the files, write nothing. */
    dryRun: z.boolean().optional(),
    /** Where warnings go (a git source working offline); default: dropped. */
    warn: z.custom<(message: string) => void>((v) => typeof v === "function", "must be a function").optional(),
  })
  .strict();

export type CreateServiceOptions = z.input<typeof createServiceOptionsSchema>;

export interface CreateServiceResult {
  template: string;
  version: string;
  /** The source as `.paved.yml` records it ("builtin", a git URL without credentials, or a path). */
  source: string;
  targetDir: string;
  /** Every path written (or, with dryRun, that would be), sorted; `.paved.yml` included. */
  files: string[];
  /** The answers `.paved.yml` records: every question's, secrets left out, null where a `when` did not hold. */
  answers: Answers;
  /** The template's postCreate hooks, not run: a caller that wants them (npm install) runs them itself. */
  skippedHooks: string[];
  /** With `lockfile`: the lockfiles created, those still missing, and why (the command's failure); else null. */
  lockfile: { created: string[]; missing: string[]; error?: string } | null;
  dryRun: boolean;
}

/**
 * Create a service from a template version into `targetDir`: resolve the version, take the answers (defaults
 * for the rest), render, and move the files into place with `.paved.yml`. It writes files only: no git, no
 * hooks, no installs (the caller publishes and installs). Nothing is left behind when it fails.
 */
export async function createService(options: CreateServiceOptions): Promise<CreateServiceResult> {
  const parsed = createServiceOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    // The option is the error's location (fields.flag), so the message reads `targetDir: <what is wrong>`.
    const within = formatIssuePath(issue.path.slice(1));
    throw new UserError(`${within ? `${within}: ` : ""}${issue.message}`, {
      code: "option",
      fields: { flag: String(issue.path[0] ?? "createService") },
    });
  }
  const input = parsed.data;
  const warn = input.warn ?? (() => {});
  const source = await openSource(input.source ?? BUILTIN_SOURCE_ID, { prerelease: input.prerelease ?? false, warn });
  const versionName = await resolveVersion(source, input.template, input.version);
  const version = await source.loadVersion(input.template, versionName);
  const target = path.resolve(input.targetDir);
  if (!input.dryRun) {
    removeStaleStaging(target);
    assertTargetFree(target);
  }

  const meta: RenderMeta = {
    template: input.template,
    version: versionName,
    dirName: input.dirName ?? path.basename(target),
    ...cliRenderMeta(),
  };
  const provided = new Map<string, ProvidedAnswer>(
    Object.entries(input.answers)
      .flatMap(([k, value]) => (value === null || value === undefined ? [] : [[k, value] as const]))
      .map(([k, value]) => [k, { value, origin: "answers file" }] as const),
  );
  const { answers } = await resolveAnswers({
    questions: version.manifest.questions,
    provided,
    meta,
    manifestFile: versionFile(version, "template.yaml"),
  });
  const { tree } = renderServiceTree(version, answers, meta, target);
  const lockfile = input.lockfile ? lockfileSpecOf(version.manifest) : undefined;
  if (lockfile)
    assertTrusted([lockfile.command], source.trusted || input.trust === true, `template ${input.template} ${versionName}`, source.id);
  const result: CreateServiceResult = {
    template: input.template,
    version: versionName,
    source: recordSource(source, target),
    targetDir: target,
    files: sortedPaths(tree),
    answers: recordableAnswers(version.manifest.questions, answers),
    // As the manifest writes them (unrendered): for the caller to see what a CLI run would have done.
    skippedHooks: version.manifest.hooks.postCreate.map((h) =>
      typeof h === "string" ? h : typeof h.run === "string" ? h.run : h.run.join(" "),
    ),
    dryRun: input.dryRun ?? false,
    lockfile: null,
  };
  if (input.dryRun) return result;

  const parents = createParents(target);
  let staging: Staging | undefined;
  try {
    staging = createStaging(target);
    await writeTree(staging.dir, tree);
    if (lockfile) {
      const lockfileResult = await ensureLockfile(lockfile, staging.dir, () => {});
      result.lockfile = lockfileResult;
      result.files = [...result.files, ...lockfileResult.created].sort();
    }
    staging.commit();
    parents.keep();
  } catch (error) {
    staging?.discard();
    parents.undo();
    throw error;
  }
  return result;
}
