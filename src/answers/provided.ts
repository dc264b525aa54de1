import { readFileSync } from "node:fs";
import { z } from "zod";
import { UserError } from "../errors.js";
import { parseWith } from "../validation.js";
import { parseConfigText } from "../yaml-file.js";
import type { ProvidedAnswer } from "./answers.js";
import { answerValueSchema } from "./value.js";

const answersFileSchema = z.record(z.string(), answerValueSchema);

/** `--set key=value` pairs; the value may contain "=". */
export function parseSetFlags(sets: readonly string[]): Map<string, ProvidedAnswer> {
  const out = new Map<string, ProvidedAnswer>();
  for (const item of sets) {
    const eq = item.indexOf("=");
    const key = eq > 0 ? item.slice(0, eq).trim() : "";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new UserError("expected key=value", { hint: "e.g. --set owner=team-payments", fields: { flag: "--set", value: item } });
    }
    out.set(key, { value: item.slice(eq + 1), origin: "--set" });
  }
  return out;
}

/** Read an answers file (YAML or JSON: a flat map of question name to value). */
export async function readAnswersFile(file: string): Promise<Map<string, ProvidedAnswer>> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (caught) {
    const error = caught as NodeJS.ErrnoException;
    throw new UserError(error.code === "ENOENT" ? "no such file" : error.message, {
      hint: "pass a YAML or JSON file mapping question names to answers",
      fields: { flag: "--answers-file", file, ...(error.code ? { errno: error.code } : {}) },
    });
  }
  const fix = "the answers file must map question names to answers, e.g. `owner: team-payments`";
  const data = parseConfigText(text, file, fix) ?? {};
  const parsed = parseWith(answersFileSchema, data, { file, fix });
  const out = new Map<string, ProvidedAnswer>();
  for (const [key, value] of Object.entries(parsed)) {
    if (value !== null) out.set(key, { value, origin: "answers file" });
  }
  return out;
}

/** --set wins over the answers file. */
export async function collectProvided(sets: readonly string[], answersFile: string | undefined): Promise<Map<string, ProvidedAnswer>> {
  const fromFile = answersFile ? await readAnswersFile(answersFile) : new Map<string, ProvidedAnswer>();
  for (const [k, v] of parseSetFlags(sets)) fromFile.set(k, v);
  return fromFile;
}
