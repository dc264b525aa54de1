import path from "node:path";
import { coerceAnswer, validateAnswer, type AnswerValue } from "../answers/answers.js";
import { valueAt } from "../doctor/checks/data-checks.js";
import { jsonOf, yamlDocumentsOf } from "../doctor/parse.js";
import type { RepoFiles } from "../doctor/repo-files.js";
import { lstatOrNull } from "../fs/paths.js";
import { INFER_SHORTHAND, type InferRule, type Question } from "../templates/manifest.js";
import { linearRegExp } from "./linear-regex.js";

/** A regex rule searches at most this much of a file (the engine is linear; this bounds the work per rule). */
export const MAX_INFER_REGEX_BYTES = 256 * 1024;

/** A rule in its one full form. */
interface Rule {
  file: string;
  kind: "json" | "yaml" | "regex" | "exists";
  /** The path, the pattern, or for `exists` whether the file must exist. */
  arg: string | boolean;
  value?: string | number | boolean;
}

export interface InferredAnswer {
  question: string;
  value: AnswerValue;
  /** The rule that found it, as written for a person: `package.json#name`, `Dockerfile /EXPOSE (\d+)/`. */
  from: string;
}

/** A rule that found nothing usable, and why (the value the question refused, or a file paved would not read). */
export interface InferenceNote {
  question: string;
  rule: string;
  reason: string;
}

export interface Inference {
  /** Question name -> the first usable value a rule found. */
  answers: Map<string, InferredAnswer>;
  /** Rules whose value the question refused, or that were refused; a rule that simply found nothing is not noted. */
  notes: InferenceNote[];
}

function normalise(rule: InferRule): Rule {
  if (typeof rule === "string") {
    const [, file, at] = INFER_SHORTHAND.exec(rule)!;
    return { file: file!, kind: file!.endsWith(".json") ? "json" : "yaml", arg: at! };
  }
  const kind = rule.json !== undefined ? "json" : rule.yaml !== undefined ? "yaml" : rule.regex !== undefined ? "regex" : "exists";
  return { file: rule.file, kind, arg: rule[kind]!, ...(rule.value !== undefined ? { value: rule.value } : {}) };
}

export function describeRule(rule: InferRule): string {
  if (typeof rule === "string") return rule;
  const r = normalise(rule);
  const what = r.kind === "regex" ? `/${String(r.arg)}/` : r.kind === "exists" ? (r.arg ? "exists" : "does not exist") : `${r.kind}:${String(r.arg)}`;
  return `${r.file} ${what}${r.value !== undefined ? ` -> ${JSON.stringify(r.value)}` : ""}`;
}

type Found = { found: unknown } | { refused: string } | undefined;

/** Why a file exists but has no text paved will read: a symlink is never followed; binary or huge files are not parsed. */
function unreadable(files: RepoFiles, file: string): string | undefined {
  const stat = lstatOrNull(path.join(files.root, ...file.split("/")));
  if (!stat) return undefined;
  if (stat.isSymbolicLink()) return "is a symlink; paved does not follow links in a repository it adopts";
  if (!stat.isFile()) return "is not a regular file";
  return "is binary, not UTF-8 or larger than 1 MiB";
}

function evaluate(rule: Rule, files: RepoFiles): Found {
  const file = rule.file.replace(/\/+$/, "");
  const outside = files.outside(file);
  if (outside !== undefined) return { refused: `${file} ${outside}` };
  if (rule.kind === "exists") {
    const stat = lstatOrNull(path.join(files.root, ...file.split("/")));
    if (stat?.isSymbolicLink()) return { refused: `${file} is a symlink; paved does not follow links in a repository it adopts` };
    const exists = stat !== null && (stat.isFile() || stat.isDirectory());
    return exists === rule.arg ? { found: true } : undefined;
  }
  const text = files.text(file);
  if (text === undefined) {
    const why = unreadable(files, file);
    return why ? { refused: `${file} ${why}` } : undefined;
  }
  if (rule.kind === "regex") {
    if (Buffer.byteLength(text) > MAX_INFER_REGEX_BYTES) return { refused: `${file} is larger than ${MAX_INFER_REGEX_BYTES / 1024} KiB; a regex rule does not search it` };
    const match = linearRegExp(String(rule.arg), "m").exec(text);
    return match ? { found: match[1] ?? match[0] } : undefined;
  }
  const parsed = rule.kind === "json" ? jsonOf(files, file) : yamlDocumentsOf(files, file);
  if (!parsed) return undefined;
  if (!parsed.ok) return { refused: `${file} does not parse as ${rule.kind.toUpperCase()} (line ${parsed.line}: ${parsed.message})` };
  const documents = rule.kind === "json" ? [parsed.value] : (parsed.value as Array<{ value: unknown }>).map((d) => d.value);
  for (const doc of documents) {
    const value = valueAt(doc, String(rule.arg));
    if (value !== undefined && value !== null) return { found: value };
  }
  return undefined;
}

function isAnswerShaped(value: unknown): boolean {
  const scalar = (v: unknown) => typeof v === "string" || typeof v === "number" || typeof v === "boolean";
  return scalar(value) || (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number"));
}

function shown(q: Question, value: unknown): string {
  return q.secret ? "***" : JSON.stringify(value);
}

/**
 * Each question's answer as the repository shows it, by the question's `infer` rules (or `fallback(name)` when the
 * question has none: an older version uses the latest version's rules). Rules are tried in order; the first value
 * the question accepts (coerced to its type, then its choices, pattern and range) wins. Pure apart from reading
 * through `files`, which confines every read to the repository.
 */
export function inferAnswers(questions: readonly Question[], files: RepoFiles, fallback: (name: string) => readonly InferRule[] | undefined = () => undefined): Inference {
  const answers = new Map<string, InferredAnswer>();
  const notes: InferenceNote[] = [];
  for (const q of questions) {
    for (const raw of q.infer ?? fallback(q.name) ?? []) {
      const rule = normalise(raw);
      const from = describeRule(raw);
      const result = evaluate(rule, files);
      if (!result) continue;
      if ("refused" in result) {
        notes.push({ question: q.name, rule: from, reason: `refused: ${result.refused}` });
        continue;
      }
      const found = rule.value ?? (rule.kind === "exists" ? true : result.found);
      if (!isAnswerShaped(found)) {
        notes.push({ question: q.name, rule: from, reason: `found ${Array.isArray(found) ? "a list" : "an object"}, not an answer` });
        continue;
      }
      let value: AnswerValue;
      try {
        value = coerceAnswer(q, found);
      } catch (error) {
        notes.push({ question: q.name, rule: from, reason: `found ${shown(q, found)}, which ${(error as Error).message}` });
        continue;
      }
      const verdict = validateAnswer(q, value);
      if (verdict !== true) {
        notes.push({ question: q.name, rule: from, reason: `found ${shown(q, found)}, which ${verdict}` });
        continue;
      }
      answers.set(q.name, { question: q.name, value, from });
      break;
    }
  }
  return { answers, notes };
}
