import { z } from "zod";

/** Flags every command takes (product.md "Common flags"). */
export const commonOptionsSchema = z.object({
  json: z.boolean().default(false),
  quiet: z.boolean().default(false),
  color: z.boolean().default(true),
});

export const answerOptionsSchema = z.object({
  set: z.array(z.string()).default([]),
  answersFile: z.string().optional(),
  yes: z.boolean().default(false),
});

export const sourceOptionSchema = z.object({
  source: z.string().optional(),
});

/** --source, else PAVED_SOURCE, else the built-in templates. */
export function sourceSpec(flag: string | undefined): string | undefined {
  return flag ?? (process.env.PAVED_SOURCE || undefined);
}
