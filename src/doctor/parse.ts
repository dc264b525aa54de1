import jsYaml from "js-yaml";
import { yamlTooLarge } from "../yaml-file.js";
import type { RepoFiles } from "./repo-files.js";

export type Parsed<T = unknown> = { ok: true; value: T } | { ok: false; message: string; line: number };

/**
 * Doctor only reads the service's YAML (workflows, rule files, manifests, catalog entries), never writes it
 * back, so it uses js-yaml: several times faster than the `yaml` document model paved uses where comments
 * and formatting must survive. YAML 1.2 core types (dates stay strings, `on:` stays a key) plus `<<` merge
 * keys, which GitLab pipelines use; duplicate keys are an error, as in the rest of paved.
 */
const MERGE = (jsYaml as unknown as { types: { merge: jsYaml.Type } }).types.merge; // exported, but not in @types/js-yaml
const SCHEMA = jsYaml.CORE_SCHEMA.extend({ implicit: [MERGE] });

function yamlFailure(error: unknown): { ok: false; message: string; line: number } {
  if (error instanceof jsYaml.YAMLException) {
    return { ok: false, message: error.reason || "invalid YAML", line: (error.mark?.line ?? 0) + 1 };
  }
  return { ok: false, message: (error as Error).message.split("\n")[0] ?? "invalid YAML", line: 1 };
}

function tooLarge(values: unknown[]): { ok: false; message: string; line: number } | undefined {
  const why = yamlTooLarge(values);
  return why ? { ok: false, message: why, line: 1 } : undefined;
}

/** Parse one YAML document; a failure carries the line it is on. */
export function parseYaml(text: string): Parsed {
  try {
    const value = jsYaml.load(text, { schema: SCHEMA });
    return tooLarge([value]) ?? { ok: true, value };
  } catch (error) {
    return yamlFailure(error);
  }
}

/** 1-based first line of each document of a YAML stream (`---` separators; a leading one opens the first). */
function documentLines(text: string): number[] {
  const lines: number[] = [];
  const separators = [...text.matchAll(/^---(?:[ \t].*)?$/gm)].map((m) => text.slice(0, m.index).split("\n").length);
  const firstContent = /^(?!\s*(?:#.*)?$)(?!---)/m.exec(text);
  const [firstSeparator] = separators;
  if (firstContent && (firstSeparator === undefined || text.slice(0, firstContent.index).split("\n").length < firstSeparator))
    lines.push(1);
  for (const line of separators) lines.push(line + 1);
  return lines;
}

/** Parse every document of a multi-document YAML stream (`---`), e.g. catalog-info.yaml, with its first line. */
export function parseYamlDocuments(text: string): Parsed<Array<{ value: unknown; line: number }>> {
  let docs: unknown[];
  try {
    docs = jsYaml.loadAll(text, undefined, { schema: SCHEMA });
  } catch (error) {
    return yamlFailure(error);
  }
  const refused = tooLarge(docs);
  if (refused) return refused;
  const starts = documentLines(text);
  return { ok: true, value: docs.map((value, i) => ({ value, line: starts[i] ?? 1 })) };
}

/** Parse JSON; a failure carries the line where the text stops being JSON. */
export function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const message = (error as Error).message.split("\n")[0] ?? "invalid JSON";
    const offset = jsonErrorOffset(text);
    return { ok: false, message: message.replace(/, ".*$/s, ""), line: text.slice(0, offset).split("\n").length };
  }
}

/**
 * Where JSON.parse gave up (Node 20's messages do not always say): a small recursive-descent scan that
 * runs only after a failure.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\r\n".includes(text.charAt(i))) i++;
  };
  const fail: () => never = () => {
    throw i;
  };
  const literal = (word: string): void => {
    if (!text.startsWith(word, i)) fail();
    i += word.length;
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") i++;
      else if (text.charCodeAt(i) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return void i++;
        else fail();
      }
    }
    if (ch === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return void i++;
        else fail();
      }
    }
    if (ch === '"') {
      string();
      return;
    }
    const word = ch === "t" ? "true" : ch === "f" ? "false" : ch === "n" ? "null" : undefined;
    if (word) {
      literal(word);
      return;
    }
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!number) fail();
    i += number[0].length;
  };
  try {
    value();
    ws();
    return i < text.length ? i : text.length;
  } catch (offset) {
    // A RangeError (nesting deeper than the stack) has no offset to give.
    return typeof offset === "number" ? Math.min(offset, text.length) : 0;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parsed once per run however many checks ask (see RepoFiles.derive); undefined when the file is absent. */
export function yamlOf(files: RepoFiles, file: string): Parsed | undefined {
  return files.derive("yaml", file, parseYaml);
}

export function yamlDocumentsOf(files: RepoFiles, file: string): Parsed<Array<{ value: unknown; line: number }>> | undefined {
  return files.derive("yaml-documents", file, parseYamlDocuments);
}

export function jsonOf(files: RepoFiles, file: string): Parsed | undefined {
  return files.derive("json", file, parseJson);
}
