import { z } from "zod";
import { linearRegExp } from "../adopt/linear-regex.js";
import { givenAnswerSchema } from "../answers/value.js";
import { CommandSyntaxError, splitCommand } from "../command-words.js";
import { unsafePathReason } from "../fs/paths.js";
import { semverVersion } from "../validation.js";

/** A question's name doubles as a Handlebars variable and a `--set` key. */
const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a letter or _ followed by letters, digits or _ (it is used as {{name}} in templates)");

const isoDate = z.union([
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date as YYYY-MM-DD"),
  z.date().transform((d) => d.toISOString().slice(0, 10)),
]);

const choice = z.union([
  z.string(),
  z.number(),
  z
    .object({
      value: z.union([z.string(), z.number()]),
      name: z.string().optional(),
      description: z.string().optional(),
    })
    .strict(),
]);
export type RawChoice = z.infer<typeof choice>;

/** `package.json#name`: the file, then a path into it (JSON for `.json` files, else YAML). */
export const INFER_SHORTHAND = /^([^#]+)#(.+)$/;

/** A `file#path` shorthand's two parts (split at its first `#`, as INFER_SHORTHAND does), or undefined when it is not one. */
export function splitInferShorthand(text: string): { file: string; at: string } | undefined {
  if (!INFER_SHORTHAND.test(text)) return undefined;
  const hash = text.indexOf("#");
  return { file: text.slice(0, hash), at: text.slice(hash + 1) };
}

const inferRuleObject = z
  .object({
    /** Relative to the repository being adopted; never leaves it. */
    file: z.string().min(1),
    json: z.string().min(1).optional(),
    yaml: z.string().min(1).optional(),
    regex: z.string().min(1).optional(),
    exists: z.boolean().optional(),
    /** The answer when the rule finds something, instead of what it found. */
    value: z.union([z.string(), z.number(), z.boolean()]).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    const kinds = (["json", "yaml", "regex", "exists"] as const).filter((k) => rule[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: `needs exactly one of json, yaml, regex or exists (found ${kinds.length ? kinds.join(", ") : "none"})`,
      });
    }
    const unsafe = unsafePathReason(rule.file.replace(/\/+$/, ""));
    if (unsafe) ctx.addIssue({ code: "custom", path: ["file"], message: `${unsafe}; an infer rule reads only inside the repository` });
    if (rule.regex !== undefined) {
      try {
        linearRegExp(rule.regex, "m");
      } catch (error) {
        ctx.addIssue({
          code: "custom",
          path: ["regex"],
          message: `is not a regular expression paved can run in linear time: ${(error as Error).message}`,
        });
      }
    }
  });

const inferRule = z.union([
  z.string().superRefine((text, ctx) => {
    const shorthand = splitInferShorthand(text);
    const unsafe = shorthand ? unsafePathReason(shorthand.file) : undefined;
    if (!shorthand) ctx.addIssue({ code: "custom", message: "must be `file#path` (e.g. `package.json#name`) or a rule object" });
    else if (unsafe) ctx.addIssue({ code: "custom", message: `${unsafe}; an infer rule reads only inside the repository` });
  }),
  inferRuleObject,
]);
export type InferRule = z.infer<typeof inferRule>;

export const questionTypes = ["input", "confirm", "select", "multiselect", "number"] as const;
export type QuestionType = (typeof questionTypes)[number];

export const questionSchema = z
  .object({
    name: identifier,
    type: z.enum(questionTypes),
    message: z.string().min(1),
    /** A literal, or for text a Handlebars string over earlier answers (`{{name}}-db`). */
    default: givenAnswerSchema.optional(),
    choices: z.array(choice).min(1).optional(),
    required: z.boolean().optional(),
    pattern: z.string().optional(),
    patternHint: z.string().optional(),
    /** An expression over earlier answers, e.g. `database == "postgres"`. */
    when: z.union([z.string(), z.boolean()]).optional(),
    secret: z.boolean().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    help: z.string().optional(),
    /** How `paved adopt` finds the answer in an existing repository: rules tried in order, the first usable one wins. */
    infer: z.array(inferRule).min(1).optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    q.infer?.forEach((rule, i) => {
      if (typeof rule === "object" && rule.exists !== undefined && rule.value === undefined && q.type !== "confirm") {
        ctx.addIssue({
          code: "custom",
          path: ["infer", i, "value"],
          message: `an exists rule on a ${q.type} question needs the value it gives`,
        });
      }
    });
    if ((q.type === "select" || q.type === "multiselect") && !q.choices) {
      ctx.addIssue({ code: "custom", path: ["choices"], message: `a ${q.type} question needs choices` });
    }
    if (q.pattern !== undefined) {
      try {
        new RegExp(q.pattern, "u");
      } catch (error) {
        ctx.addIssue({ code: "custom", path: ["pattern"], message: `is not a valid regular expression: ${(error as Error).message}` });
      }
    }
  });
export type Question = z.infer<typeof questionSchema>;

/**
 * A command is parsed where the manifest is: a plain (non-shell) command written as one string must split
 * into words, the first of them a program, so an unbalanced quote or a command of only spaces is the template's
 * mistake at load and in lint, not a crash at run time.
 */
function commandParses(run: string | string[], shell: boolean | undefined, ctx: z.RefinementCtx, at: Array<string | number>): void {
  if (shell) return;
  const noProgram = () =>
    ctx.addIssue({ code: "custom", path: at, message: "names no program to run (write the command, e.g. npm install)" });
  if (typeof run !== "string") {
    if (run[0]?.trim() === "") noProgram();
    return;
  }
  try {
    if (splitCommand(run).length === 0) noProgram();
  } catch (error) {
    if (!(error instanceof CommandSyntaxError)) throw error;
    ctx.addIssue({
      code: "custom",
      path: at,
      message: `cannot be split into words: ${error.message} (close it, or write run as a list of words)`,
    });
  }
}

const command = z.union([
  z
    .string()
    .min(1)
    .superRefine((run, ctx) => commandParses(run, false, ctx, [])),
  z
    .object({
      run: z.union([z.string().min(1), z.array(z.string()).min(1)]),
      /** Run through a shell (pipes, &&); off by default so arguments are never re-parsed. */
      shell: z.boolean().optional(),
      /** Seconds before the command is killed. */
      timeout: z.number().positive().optional(),
      /** A dependency install: skipped by `--no-install`. */
      install: z.boolean().optional(),
      name: z.string().optional(),
    })
    .strict()
    .superRefine((c, ctx) => commandParses(c.run, c.shell, ctx, ["run"])),
]);
export type RawCommand = z.infer<typeof command>;

const migrationStep = z.union([
  z.object({ rename: z.object({ from: z.string().min(1), to: z.string().min(1) }).strict() }).strict(),
  z.object({ delete: z.string().min(1) }).strict(),
  z
    .object({
      run: z.union([z.string().min(1), z.array(z.string()).min(1)]),
      shell: z.boolean().optional(),
      timeout: z.number().positive().optional(),
    })
    .strict()
    .superRefine((c, ctx) => commandParses(c.run, c.shell, ctx, ["run"])),
]);
export type MigrationStep = z.infer<typeof migrationStep>;

const checkBase = {
  id: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, "must look like `group/name`, e.g. `service/non-root`"),
  severity: z.enum(["error", "warning", "info"]).default("error"),
  category: z.string().default("template"),
  message: z.string().min(1),
  /** Said when the check fails: the problem found, not the rule (`message` is the rule, said when it passes). */
  failMessage: z.string().min(1).optional(),
  fix: z.string().optional(),
  when: z.union([z.string(), z.boolean()]).optional(),
};

export const dataCheckSchema = z.discriminatedUnion("type", [
  z.object({ ...checkBase, type: z.literal("file-exists"), file: z.string().min(1) }).strict(),
  z.object({ ...checkBase, type: z.literal("file-contains"), file: z.string().min(1), pattern: z.string().min(1) }).strict(),
  z.object({ ...checkBase, type: z.literal("file-not-contains"), file: z.string().min(1), pattern: z.string().min(1) }).strict(),
  z
    .object({
      ...checkBase,
      type: z.enum(["yaml-path", "json-path"]),
      file: z.string().min(1),
      path: z.string().min(1),
      equals: z.unknown().optional(),
      matches: z.string().optional(),
    })
    .strict(),
]);
export type DataCheck = z.infer<typeof dataCheckSchema>;

/** A template's name: what `paved new <template>` takes and a source's folder or tag prefix holds. */
export const TEMPLATE_NAME = /^[a-z0-9][a-z0-9-]*$/;

export const manifestSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().regex(TEMPLATE_NAME, "must be lowercase letters, digits and dashes"),
    version: semverVersion,
    description: z.string().min(1),
    /** Release date, YYYY-MM-DD: doctor's grace period for version lag counts from it. */
    released: isoDate.optional(),
    changelog: z.string().optional(),
    /** Steps a person must take for this version (paved cannot): printed with the changelog by `upgrade`. */
    actions: z.array(z.string().min(1)).default([]),
    minPavedVersion: semverVersion.optional(),
    questions: z.array(questionSchema).default([]),
    files: z
      .object({
        /** glob (as written under files/) -> expression; the file is rendered only when it is true. */
        when: z.record(z.string(), z.union([z.string(), z.boolean()])).default({}),
        /** Copied byte for byte, never rendered. */
        copy: z.array(z.string()).default([]),
        /** Owned by the platform: doctor reports drift, upgrade overwrites. */
        managed: z.array(z.string()).default([]),
        /** Must exist in a service (doctor); defaults to none beyond managed. */
        required: z.array(z.string()).default([]),
      })
      .strict()
      .default({ when: {}, copy: [], managed: [], required: [] }),
    hooks: z
      .object({
        postCreate: z.array(command).default([]),
        postUpgrade: z.array(command).default([]),
      })
      .strict()
      .default({ postCreate: [], postUpgrade: [] }),
    /** Steps that bring a service from the previous version to this one, run after the merge. */
    migrations: z.array(migrationStep).default([]),
    checks: z.array(dataCheckSchema).default([]),
    /** Answer sets used by `paved template lint/test`. */
    examples: z.array(z.object({ name: z.string().min(1), answers: z.record(z.string(), z.unknown()) }).strict()).default([]),
    /**
     * Globs over rendered paths: the files that go to the git repository's root when the template is applied to
     * a subdirectory of it (CI workflows). At a repository root nothing changes.
     */
    rootFiles: z.array(z.string().min(1)).default([]),
    /** Lines printed after `paved new` succeeds (Handlebars over the answers), e.g. "npm run dev". */
    nextSteps: z.array(z.string()).default([]),
    /** Commands `paved template test` runs in a generated example, and `paved upgrade --verify` after a merge. */
    test: z.array(command).default([]),
    /** How the dependency lockfile is brought in line with the manifest it locks (after `new --no-install`, after an upgrade). */
    lockfile: z
      .object({
        /** Refreshes the lockfile only: no install, no scripts (e.g. `npm install --package-lock-only --ignore-scripts`). */
        command,
        /** The files the command writes, relative to the service root. */
        files: z.array(z.string().min(1)).min(1),
        /** The files the lockfile is computed from: an upgrade refreshes it only when it changes one of them. */
        inputs: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.questions.forEach((q, i) => {
      if (seen.has(q.name)) ctx.addIssue({ code: "custom", path: ["questions", i, "name"], message: `duplicate question "${q.name}"` });
      seen.add(q.name);
    });
  });

export type Manifest = z.infer<typeof manifestSchema>;
