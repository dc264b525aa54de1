import { parse, parseAllDocuments, YAMLParseError } from "yaml";
import type { RepoFiles } from "./repo-files.js";

export type Parsed<T = unknown> = { ok: true; value: T } | { ok: false; message: string; line: number };

const YAML_OPTIONS = { maxAliasCount: 100, uniqueKeys: true } as const;

function yamlFailure(error: unknown): { ok: false; message: string; line: number } {
  if (error instanceof YAMLParseError) {
    return { ok: false, message: error.message.split("\n")[0] ?? "invalid YAML", line: error.linePos?.[0]?.line ?? 1 };
  }
  return { ok: false, message: (error as Error).message.split("\n")[0] ?? "invalid YAML", line: 1 };
}

/** Parse one YAML document; a failure carries the line it is on. */
export function parseYaml(text: string): Parsed {
  try {
    return { ok: true, value: parse(text, YAML_OPTIONS) };
  } catch (error) {
    return yamlFailure(error);
  }
}

/** Parse every document of a multi-document YAML stream (`---`), e.g. catalog-info.yaml. */
export function parseYamlDocuments(text: string): Parsed<Array<{ value: unknown; line: number }>> {
  const docs = parseAllDocuments(text, YAML_OPTIONS);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: Array<{ value: unknown; line: number }> = [];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) return yamlFailure(error);
    const start = doc.range?.[0] ?? 0;
    out.push({ value: doc.toJS({ maxAliasCount: 100 }), line: text.slice(0, start).split("\n").length });
  }
  return { ok: true, value: out };
}

/** Parse JSON; a failure carries the line of the position the parser stopped at. */
export function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const lineCol = /line (\d+)/.exec(message);
    const line = lineCol ? Number(lineCol[1]) : position ? text.slice(0, Number(position[1])).split("\n").length : 1;
    return { ok: false, message: message.split("\n")[0] ?? "invalid JSON", line };
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
