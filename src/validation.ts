import { z } from "zod";

// paved parses each input once per run: zod's JIT (compiling every object schema with `new Function`) costs
// more than it saves for a single parse (about 10 ms of every doctor run; see bench/).
z.config({ jitless: true });
import { defined, UserError } from "./errors.js";

/**
 * A schema built when it is first asked for, then kept: zod takes a while to build one, and many runs never read
 * the file it is for (a `paved new` without a config file reads no config file and only writes `.paved.yml`).
 */
export function builtOnFirstUse<S extends z.ZodType>(build: () => S): () => S {
  let built: S | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

/** `questions[2].type` from zod's path array. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** The first problem zod found (a failed parse always has one). */
export function firstIssue(error: z.ZodError): z.core.$ZodIssue {
  return defined(error.issues[0], "the first issue of a failed parse");
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatIssuePath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `"${k}"`).join(", ");
    return `${where ? where + ": " : ""}unknown key${issue.keys.length > 1 ? "s" : ""} ${keys}`;
  }
  return `${where || "(top level)"}: ${issue.message}`;
}

/**
 * Parse untrusted data at the edge. On failure throws a UserError that names the file, the field and the fix.
 */
export function parseWith<S extends z.ZodType>(schema: S, data: unknown, context: { file: string; fix: string }): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 5).map(describeIssue);
  const more = result.error.issues.length > 5 ? ` (and ${result.error.issues.length - 5} more)` : "";
  throw new UserError(`${issues.join("; ")}${more}`, { hint: context.fix, fields: { file: context.file } });
}

/** A semver version (`1.2.0`, `2.0.0-rc.1`, `1.0.0+build.5`): the one pattern for template manifests and `.paved.yml`. */
export const semverVersion = z
  .string()
  .regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/, "must be a semver version such as 1.2.0");
