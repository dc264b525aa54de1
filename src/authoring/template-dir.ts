import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from "yaml";
import { UserError } from "../errors.js";
import { readTree } from "../fs/read-tree.js";
import type { Manifest } from "../templates/manifest.js";
import { MANIFEST_FILE, parseManifestText, type TemplateSource, type TemplateVersion } from "../templates/source.js";
import type { FileTree } from "../tree.js";

/** A template directory an author works on: template.yaml and files/ side by side. */
export interface TemplateDir {
  dir: string;
  manifestPath: string;
  text: string;
  files: FileTree;
  /** Line of a manifest field (`["questions", 2, "when"]`), 1-based; undefined when not found. */
  lineOf(fieldPath: ReadonlyArray<string | number>): number | undefined;
  /**
   * Where a position inside a manifest string (1-based line and column of its value) is in template.yaml;
   * the field's own line when the scalar's layout cannot be followed exactly.
   */
  positionIn(fieldPath: ReadonlyArray<string | number>, line: number, column: number): { line?: number; column?: number };
}

/** Read a template directory; a missing directory or template.yaml makes it unusable (UserError, exit 2). */
export async function readTemplateDir(dirArg: string): Promise<TemplateDir> {
  const dir = path.resolve(dirArg);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir)
    throw new UserError("no such directory", { hint: "pass the directory that holds template.yaml and files/", fields: { file: dirArg } });
  const manifestPath = path.join(dir, MANIFEST_FILE);
  const text = await readFile(manifestPath, "utf8").catch(() => {
    throw new UserError(`no ${MANIFEST_FILE}`, {
      fields: { file: dirArg },
      hint: "pass the directory that holds template.yaml and files/, or create one with `paved template new`",
    });
  });
  const filesDir = path.join(dir, "files");
  const hasFiles = await stat(filesDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const files = hasFiles ? await readTree(filesDir) : new Map();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  const lineOf = (p: ReadonlyArray<string | number>) => lineOfPath(doc, lineCounter, p);
  const positionIn = (p: ReadonlyArray<string | number>, line: number, column: number) => {
    const offset = offsetInScalar(text, nodeAt(doc, p), line, column);
    if (offset === undefined) {
      const fieldLine = lineOf(p);
      return fieldLine ? { line: fieldLine } : {};
    }
    const at = lineCounter.linePos(offset);
    return { line: at.line, column: at.col };
  };
  return { dir, manifestPath, text, files, lineOf, positionIn };
}

function nodeAt(doc: Document, fieldPath: ReadonlyArray<string | number>): unknown {
  let node: unknown = doc.contents;
  for (const key of fieldPath) {
    if (isMap(node))
      node = node.items.find((item) => String((item.key as { value?: unknown } | null)?.value ?? item.key) === String(key))?.value;
    else if (isSeq(node) && typeof key === "number") node = node.items[key];
    else return undefined;
  }
  return node;
}

/** Offset in the YAML text of a value's (line, column), following quotes, escapes and block indentation. */
function offsetInScalar(text: string, node: unknown, line: number, column: number): number | undefined {
  if (!isScalar(node) || typeof node.value !== "string" || !node.range) return undefined;
  const [start, end] = node.range;
  const raw = text.slice(start, end);
  if (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") {
    const lines = raw.split("\n");
    const body = lines.slice(1);
    // The fewest leading spaces of a line that is not blank (where the first non-space is, or the line's end).
    const indent = Math.min(...body.filter((l) => l.trim() !== "").map((l) => l.search(/[^ ]|$/)));
    if (line >= lines.length || !Number.isFinite(indent)) return undefined;
    return start + lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0) + indent + column - 1;
  }
  if (line !== 1 || raw.includes("\n")) return undefined;
  if (node.type === "PLAIN") return start + column - 1;
  // Quoted: step over the quote and count each escape (\x, '') as the one character it stands for.
  const quote = raw[0];
  let i = 1;
  for (let valueIndex = 1; valueIndex < column; valueIndex++) {
    if (quote === '"' && raw[i] === "\\") i += raw[i + 1] === "u" ? 6 : raw[i + 1] === "x" ? 4 : 2;
    else if (quote === "'" && raw[i] === "'" && raw[i + 1] === "'") i += 2;
    else i++;
  }
  return start + i;
}

function lineOfPath(doc: Document, counter: LineCounter, fieldPath: ReadonlyArray<string | number>): number | undefined {
  // Walk down as far as the path exists; the deepest node found is the best place to point at.
  let node: unknown = doc.contents;
  let offset: number | undefined = (doc.contents as { range?: [number] } | null)?.range?.[0];
  for (const key of fieldPath) {
    if (isMap(node)) {
      const pair = node.items.find((item) => String((item.key as { value?: unknown } | null)?.value ?? item.key) === String(key));
      if (!pair) break;
      offset = (pair.key as { range?: [number] } | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === "number") {
      const item = node.items[key];
      if (!item) break;
      offset = (item as { range?: [number] }).range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : counter.linePos(offset).line;
}

/** A template directory as a version renderTemplate understands. */
export function asTemplateVersion(template: TemplateDir, manifest: Manifest, files: FileTree = template.files): TemplateVersion {
  return { manifest, files, dir: template.dir, label: template.dir, source: authoringSource };
}

/** Parse template.yaml strictly (UserError with the zod issues on failure). */
export function parseTemplateManifest(template: TemplateDir): Manifest {
  return parseManifestText(template.text, path.relative(process.cwd(), template.manifestPath) || MANIFEST_FILE);
}

/** Rendering needs a source; an authoring directory is none of the real ones. */
const authoringSource: TemplateSource = {
  id: "authoring",
  trusted: false,
  kind: "directory",
  listTemplates: async () => [],
  listVersions: async () => [],
  listAllVersions: async () => [],
  loadVersion: async () => {
    throw new Error("an authoring directory has one version");
  },
};
