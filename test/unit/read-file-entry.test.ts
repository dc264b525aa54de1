import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readFileEntry } from "../../src/fs/read-tree.js";
import { tempDir } from "../helpers.js";

describe("readFileEntry", () => {
  it("holds a file's bytes in a buffer of the file's size (a tree of thousands of files keeps no slack)", () => {
    const dir = tempDir();
    for (const size of [0, 1, 100, 8192, 70_000]) {
      const file = path.join(dir, `f${size}`);
      const bytes = Buffer.alloc(size, 0x61);
      writeFileSync(file, bytes, { mode: 0o755 });
      const entry = readFileEntry(file);
      expect(Buffer.compare(entry.data, bytes)).toBe(0);
      expect(entry.data.buffer.byteLength).toBe(size);
      expect(entry.mode).toBe(0o755);
    }
  });

  it.runIf(existsSync("/proc/self/status"))("reads on past the size fstat reports (0 for /proc files)", () => {
    const entry = readFileEntry("/proc/self/status");
    const text = Buffer.from(entry.data).toString("utf8");
    expect(text).toMatch(/^Name:/);
    expect(text).toContain("\nPid:");
    expect(entry.data.buffer.byteLength).toBe(entry.data.byteLength);
  });
});
