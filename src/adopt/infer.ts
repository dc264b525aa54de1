import path from "node:path";
import { coerceAnswer, validateAnswer, type AnswerValue } from "../answers/answers.js";
import { valueAt } from "../doctor/checks/data-checks.js";
import { jsonOf, parseJson, parseYamlDocuments, yamlDocumentsOf, type Parsed } from "../doctor/parse.js";
import { MAX_SCAN_BYTES, type RepoFiles } from "../doctor/repo-files.js";
import { defined } from "../errors.js";
import { lstatOrNull, unsafePathReason } from "../fs/paths.js";
import { splitInferShorthand, type InferRule, type Question } from "../templates/manifest.js";
import { isBinary, isUtf8, type FileTree } from "../tree.js";
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
    const { file, at } = defined(splitInferShorthand(rule), "a validated infer shorthand's file#path");
    return { file, kind: file.endsWith(".json") ? "json" : "yaml", arg: at };
  }
  const value = rule.value !== undefined ? { value: rule.value } : {};
  if (rule.json !== undefined) return { file: rule.file, kind: "json", arg: rule.json, ...value };
  if (rule.yaml !== undefined) return { file: rule.file, kind: "yaml", arg: rule.yaml, ...value };
  if (rule.regex !== undefined) return { file: rule.file, kind: "regex", arg: rule.regex, ...value };
  return { file: rule.file, kind: "exists", arg: defined(rule.exists, "a validated infer rule's json, yaml, regex or exists"), ...value };
}

export function describeRule(rule: InferRule): string {
  if (typeof rule === "string") return rule;
  const r = normalise(rule);
  const what =
    r.kind === "regex" ? `/${String(r.arg)}/` : r.kind === "exists" ? (r.arg ? "exists" : "does not exist") : `${r.kind}:${String(r.arg)}`;
  return `${r.file} ${what}${r.value !== undefined ? ` -> ${JSON.stringify(r.value)}` : ""}`;
}

/**
 * What infer rules may look at: a repository on disk (`repoReader`, confined by doctor's reader) or an in-memory
 * tree (`treeReader`: a template's own render, for lint). Nothing is ever read through a symlink.
 */
export interface RepoReader {
  /** Why the path may not be read (it leaves the repository), or undefined. */
  outside(file: string): string | undefined;
  /** What is at the path, the path itself (a symlink is "symlink", never what it points at). */
  kind(file: string): "file" | "directory" | "symlink" | "other" | "missing";
  /** A regular file's UTF-8 text, at most 1 MiB; undefined otherwise. */
  text(file: string): string | undefined;
  json(file: string): Parsed | undefined;
  yamlDocuments(file: string): Parsed<Array<{ value: unknown; line: number }>> | undefined;
}

export function repoReader(files: RepoFiles): RepoReader {
  return {
    outside: (file) => files.outside(file),
    kind(file) {
      const stat = lstatOrNull(path.join(files.root, ...file.split("/")));
      if (!stat) return "missing";
      return stat.isSymbolicLink() ? "symlink" : stat.isFile() ? "file" : stat.isDirectory() ? "directory" : "other";
    },
    text: (file) => files.text(file),
    json: (file) => jsonOf(files, file),
    yamlDocuments: (file) => yamlDocumentsOf(files, file),
  };
}

export function treeReader(tree: FileTree): RepoReader {
  const text = (file: string): string | undefined => {
    const entry = tree.get(file);
    if (!entry || entry.symlink !== undefined || entry.data.byteLength > MAX_SCAN_BYTES || isBinary(entry.data) || !isUtf8(entry.data))
      return undefined;
    return Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength).toString("utf8");
  };
  const parsed = <T>(file: string, parse: (text: string) => T): T | undefined => {
    const t = text(file);
    return t === undefined ? undefined : parse(t);
  };
  return {
    outside(file) {
      const unsafe = unsafePathReason(file);
      if (unsafe) return unsafe;
      const segments = file.split("/");
      for (let i = 1; i < segments.length; i++)
        if (tree.get(segments.slice(0, i).join("/"))?.symlink !== undefined) return "lies beneath a symlink";
      return undefined;
    },
    kind(file) {
      const entry = tree.get(file);
      if (entry) return entry.symlink !== undefined ? "symlink" : "file";
      const prefix = `${file}/`;
      for (const key of tree.keys()) if (key.startsWith(prefix)) return "directory";
      return "missing";
    },
    text,
    json: (file) => parsed(file, parseJson),
    yamlDocuments: (file) => parsed(file, parseYamlDocuments),
  };
}

type Found = { found: unknown } | { refused: string } | undefined;

/** Why a file exists but has no text paved will read: a symlink is never followed; binary or huge files are not parsed. */
function unreadable(reader: RepoReader, file: string): string | undefined {
  const kind = reader.kind(file);
  if (kind === "missing" || kind === "directory") return undefined;
  if (kind === "symlink") return "is a symlink; paved does not follow links in a repository it adopts";
  if (kind !== "file") return "is not a regular file";
  return "is binary, not UTF-8 or larger than 1 MiB";
}

function evaluate(rule: Rule, reader: RepoReader): Found {
  const file = rule.file.replace(/\/+$/, "");
  const outside = reader.outside(file);
  if (outside !== undefined) return { refused: `${file} ${outside}` };
  if (rule.kind === "exists") {
    const kind = reader.kind(file);
    if (kind === "symlink") return { refused: `${file} is a symlink; paved does not follow links in a repository it adopts` };
    return (kind === "file" || kind === "directory") === rule.arg ? { found: true } : undefined;
  }
  const text = reader.text(file);
  if (text === undefined) {
    const why = unreadable(reader, file);
    return why ? { refused: `${file} ${why}` } : undefined;
  }
  if (rule.kind === "regex") {
    if (Buffer.byteLength(text) > MAX_INFER_REGEX_BYTES)
      return { refused: `${file} is larger than ${MAX_INFER_REGEX_BYTES / 1024} KiB; a regex rule does not search it` };
    const match = linearRegExp(String(rule.arg), "m").exec(text);
    return match ? { found: match[1] ?? match[0] } : undefined;
  }
  const parsed = rule.kind === "json" ? reader.json(file) : reader.yamlDocuments(file);
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
 * through `reader`, which confines every read to the repository.
 */
export function inferAnswers(
  questions: readonly Question[],
  reader: RepoReader,
  fallback: (name: string) => readonly InferRule[] | undefined = () => undefined,
): Inference {
  const answers = new Map<string, InferredAnswer>();
  const notes: InferenceNote[] = [];
  for (const q of questions) {
    for (const raw of q.infer ?? fallback(q.name) ?? []) {
      const rule = normalise(raw);
      const from = describeRule(raw);
      const result = evaluate(rule, reader);
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
