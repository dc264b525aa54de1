import { z } from "zod";
import { defaultSource } from "../config.js";

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

export const prereleaseOptionSchema = z.object({
  prerelease: z.boolean().default(false),
});

/** --source, else PAVED_SOURCE, else `source:` in .pavedrc.yml (upward) or the user config, else the built-in templates. */
export function sourceSpec(flag: string | undefined): string | undefined {
  return flag ?? defaultSource()?.spec;
}
