import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.join(import.meta.dirname, "..", "..", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith(".ts") ? [full] : [];
  });
}

/**
 * Code decides by an error's code and fields, never by its words: a message is for people and may be reworded.
 * Each pattern is a way of reading an error's message to branch on it.
 */
const READS_MESSAGE = [
  /\.message\s*\)?\s*\.\s*(?:match|startsWith|endsWith|includes|search)\s*\(/,
  /\.(?:test|exec)\s*\(\s*\(?\s*(?:\w+\s+as\s+\w+\)\s*)?[\w.()]*\.message\b/,
  /\.(?:test|exec)\s*\(\s*message\s*\)/,
];

describe("one error model", () => {
  it("no code in src/ branches on an error's message text", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (READS_MESSAGE.some((pattern) => pattern.test(line))) offenders.push(`${path.relative(SRC, file)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
