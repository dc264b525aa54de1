import { z } from "zod";
import { defaultSource } from "../config.js";
import { UserError } from "../errors.js";
import { firstIssue, formatIssuePath } from "../validation.js";

/** A flag's value that must say something: `--remote=` is a mistake, not "no remote". */
export const flagValue = z.string().min(1, "must not be empty");

/**
 * Parse a command's options at the edge, the same way for every command: a bad value is exit 2 naming the
 * flag (`--grace-days: must be a whole number`) with its fix, never a ZodError (exit 70).
 */
export function parseCommandOptions<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  command: string,
  fixes: Record<string, string> = {},
): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = firstIssue(result.error);
  const key = String(issue.path[0] ?? "");
  const flag = `--${key.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`;
  const within = formatIssuePath(issue.path.slice(1));
  throw new UserError(issue.message, {
    hint: fixes[flag] ?? `see \`paved ${command} --help\``,
    code: "option",
    fields: { flag: `${flag}${within}` },
  });
}

/** Flags every command takes (product.md "Common flags"). */
export const commonOptionsSchema = z.object({
  json: z.boolean().default(false),
  quiet: z.boolean().default(false),
  color: z.boolean().default(true),
});

export const answerOptionsSchema = z.object({
  set: z.array(z.string()).default([]),
  answersFile: flagValue.optional(),
  yes: z.boolean().default(false),
});

export const sourceOptionSchema = z.object({
  source: flagValue.optional(),
});

export const prereleaseOptionSchema = z.object({
  prerelease: z.boolean().default(false),
});

/** --source, else PAVED_SOURCE, else `source:` in .pavedrc.yml (upward) or the user config, else the built-in templates. */
export function sourceSpec(flag: string | undefined): string | undefined {
  return chooseSource(flag).spec;
}

export interface SourceChoice {
  spec: string | undefined;
  /** What chose it, for "where did this template come from": `--source`, `PAVED_SOURCE`, a config file's path, or `default`. */
  chosenBy: string;
}

export function chooseSource(flag: string | undefined): SourceChoice {
  if (flag !== undefined) return { spec: flag, chosenBy: "--source" };
  const configured = defaultSource();
  return configured ? { spec: configured.spec, chosenBy: configured.from } : { spec: undefined, chosenBy: "default" };
}

/** "(chosen by source: in /x/.pavedrc.yml)" and the like, for the line that says where a template came from. */
export function describeChoice(chosenBy: string): string {
  if (chosenBy === "default") return "the default: no --source, PAVED_SOURCE or source: in a config file";
  if (chosenBy === "--source" || chosenBy === "PAVED_SOURCE") return `chosen by ${chosenBy}`;
  return `chosen by source: in ${chosenBy}`;
}
