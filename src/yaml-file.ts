import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import jsYaml from "js-yaml";
import { UserError } from "./errors.js";

/** Larger than any sane manifest, answers file or `.paved.yml`; stops a hostile file from eating memory. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_DEPTH = 64;
/** Nodes after aliases are expanded: far above any real config, far below an "billion laughs" alias bomb. */
const MAX_EXPANDED_NODES = 200_000;

/**
 * The text of a config file paved finds in a directory (`.paved.yml`, `.pavedrc.yml`, `template.yaml`), or
 * undefined when there is none. Only a regular file is read: it is opened non-blocking and fstat-ed before any
 * read, so a FIFO (which would block forever), a device or a directory is refused (exit 2) instead of hanging.
 * Other failures are a UserError naming the file and the errno code.
 */
export function readConfigText(file: string, shownAs: string, fix: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new UserError(`cannot read: ${code ?? (error as Error).message}`, {
      hint: fix,
      fields: { file: shownAs, ...(code ? { errno: code } : {}) },
    });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const kind = stat.isDirectory() ? "a directory" : stat.isFIFO() ? "a FIFO (named pipe)" : stat.isSocket() ? "a socket" : "a device";
      throw new UserError(`is ${kind}, not a regular file; paved reads only regular files`, { hint: fix, fields: { file: shownAs } });
    }
    if (stat.size > MAX_CONFIG_BYTES)
      throw new UserError(`is larger than ${MAX_CONFIG_BYTES / 1024} KiB`, { hint: fix, fields: { file: shownAs } });
    return readFileSync(fd, "utf8");
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read: ${code ?? (error as Error).message}`, {
      hint: fix,
      fields: { file: shownAs, ...(code ? { errno: code } : {}) },
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * Parse YAML (or JSON, which is YAML) from a file the user or a template author wrote: template.yaml, answers
 * files, `.paved.yml`, config. Every failure is a UserError naming the file (and the line, where there is one).
 *
 * js-yaml rather than the `yaml` document model: these files are only read, never written back, and it is
 * several times faster to load and to parse (~60 ms less on every `new`, `upgrade` and `doctor`; see bench/).
 * YAML 1.2 core types: dates stay strings, `on`/`yes` stay strings; duplicate keys are an error.
 */
export function parseConfigText(text: string, file: string, fix: string): unknown {
  if (Buffer.byteLength(text, "utf8") > MAX_CONFIG_BYTES) {
    throw new UserError(`is larger than ${MAX_CONFIG_BYTES / 1024} KiB`, { hint: fix, fields: { file } });
  }
  let value: unknown;
  try {
    value = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, filename: file });
  } catch (error) {
    // js-yaml recurses per level: a deep enough document overflows the stack.
    if (error instanceof RangeError) {
      throw new UserError("is nested too deeply to read", { hint: fix, fields: { file } });
    }
    if (error instanceof jsYaml.YAMLException) {
      const line = error.mark ? error.mark.line + 1 : undefined;
      throw new UserError(error.reason || "invalid YAML", { hint: fix, fields: { file, ...(line ? { line } : {}) } });
    }
    throw new UserError(`could not be parsed: ${(error as Error).message}`, { hint: fix, fields: { file } });
  }
  const tooLarge = yamlTooLarge([value]);
  if (tooLarge) throw new UserError(tooLarge, { hint: fix, fields: { file } });
  return value;
}

/**
 * The one guard against YAML that explodes when walked (deep nesting, "billion laughs" aliases), for every
 * reader: config files here and the service files doctor reads. js-yaml shares an aliased node, so a bomb
 * parses instantly and only explodes in the walk. Returns why `values` (the documents of one file, counted
 * together) are refused, or undefined.
 */
export function yamlTooLarge(values: readonly unknown[]): string | undefined {
  const memo = new Map<object, Shape>();
  let size = 0;
  for (const value of values) {
    const shape = measure(value, memo, 0);
    if (shape.depth > MAX_DEPTH) return `is nested more than ${MAX_DEPTH} levels deep`;
    size += shape.size;
    if (size > MAX_EXPANDED_NODES) return `expands (through aliases) to more than ${MAX_EXPANDED_NODES} values`;
  }
  return undefined;
}

interface Shape {
  size: number;
  depth: number;
}

/**
 * Size and depth of the tree a reader would walk, aliases expanded. js-yaml shares an aliased node, so this
 * memoises per node: an alias bomb is measured in time linear in the file, not in its expansion.
 */
function measure(value: unknown, memo: Map<object, Shape>, depth: number): Shape {
  if (value === null || typeof value !== "object") return { size: 1, depth: 0 };
  const known = memo.get(value);
  if (known) return known;
  if (depth > MAX_DEPTH) return { size: 1, depth: MAX_DEPTH + 1 };
  const shape: Shape = { size: 1, depth: 0 };
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    const inner = measure(child, memo, depth + 1);
    shape.size += inner.size;
    shape.depth = Math.max(shape.depth, inner.depth + 1);
    if (shape.size > MAX_EXPANDED_NODES || shape.depth > MAX_DEPTH) break;
  }
  memo.set(value, shape);
  return shape;
}
