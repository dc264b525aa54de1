import { parse, YAMLParseError } from "yaml";
import { UserError } from "./errors.js";

/** Larger than any sane manifest, answers file or `.paved.yml`; stops a hostile file from eating memory. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_DEPTH = 64;

/**
 * Parse YAML (or JSON, which is YAML) from a file the user or a template author wrote.
 * Every failure is a UserError naming the file.
 */
export function parseConfigText(text: string, file: string, fix: string): unknown {
  if (Buffer.byteLength(text, "utf8") > MAX_CONFIG_BYTES) {
    throw new UserError(`${file}: is larger than ${MAX_CONFIG_BYTES / 1024} KiB`, { hint: fix });
  }
  let value: unknown;
  try {
    value = parse(text, { maxAliasCount: 100, uniqueKeys: true, logLevel: "error" });
  } catch (error) {
    if (error instanceof RangeError || /Maximum call stack/.test((error as Error).message)) {
      throw new UserError(`${file}: is nested too deeply to read`, { hint: fix });
    }
    if (error instanceof YAMLParseError) {
      const line = error.linePos?.[0]?.line;
      const msg = error.message.split("\n")[0] ?? "invalid YAML";
      throw new UserError(`${file}${line ? `:${line}` : ""}: ${msg}`, { hint: fix });
    }
    throw new UserError(`${file}: could not be parsed: ${(error as Error).message}`, { hint: fix });
  }
  if (depthOf(value, 0) > MAX_DEPTH) {
    throw new UserError(`${file}: is nested more than ${MAX_DEPTH} levels deep`, { hint: fix });
  }
  return value;
}

function depthOf(value: unknown, depth: number): number {
  if (depth > MAX_DEPTH) return depth;
  if (value === null || typeof value !== "object") return depth;
  let max = depth;
  for (const child of Object.values(value as Record<string, unknown>)) {
    max = Math.max(max, depthOf(child, depth + 1));
    if (max > MAX_DEPTH) break;
  }
  return max;
}
