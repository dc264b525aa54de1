import { writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countChanges, unifiedDiff } from "../../src/diff/unified-diff.js";
import { tempDir } from "../helpers.js";

const lineArb = fc.constantFrom("a\n", "b\n", "c\n", "{\n", "}\n", "\n", "x = 1;\n");
const textArb = fc
  .tuple(fc.array(lineArb, { maxLength: 30 }), fc.constantFrom("", "", "end"))
  .map(([lines, tail]) => lines.join("") + tail);

/** Byte strings (one char per byte) with Latin-1 bytes, invalid UTF-8, a BOM and CRLF: text to git. */
const byteLineArb = fc.oneof(
  lineArb,
  fc.constantFrom("caf\xe9\n", "na\xefve\r\n", "\xef\xbb\xbfa\n", "\xc3\x28\n", "\xff\n", "\x80\x9f\n"),
);
const bytesArb = fc
  .tuple(fc.array(byteLineArb, { maxLength: 30 }), fc.constantFrom("", "", "\xe9"))
  .map(([lines, tail]) => lines.join("") + tail);

/** `git diff --no-index` hunks (headers dropped), the reference for our unified diff. */
async function gitDiff(pairs: Array<[string, string]>): Promise<string[]> {
  const root = tempDir("paved-udiff-");
  pairs.forEach(([a, b], i) => {
    writeFileSync(path.join(root, `${i}.a`), Buffer.from(a, "latin1"));
    writeFileSync(path.join(root, `${i}.b`), Buffer.from(b, "latin1"));
  });
  const script = `for i in $(seq 0 ${pairs.length - 1}); do git -c diff.indentHeuristic=false diff --no-index --no-color --diff-algorithm=myers $i.a $i.b > $i.out; done; true`;
  await execa("bash", ["-c", script], { cwd: root, env: { HOME: root, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" } });
  const { readFileSync } = await import("node:fs");
  return pairs.map((_, i) => {
    const out = readFileSync(path.join(root, `${i}.out`), "latin1");
    const start = out.indexOf("@@");
    return start === -1 ? "" : out.slice(start);
  });
}

describe("unifiedDiff", () => {
  it("matches git diff's hunks on 500 generated pairs", async () => {
    const pairs = fc.sample(fc.tuple(textArb, textArb), { numRuns: 500, seed: 5 });
    const expected = await gitDiff(pairs);
    expect(expected.filter((e) => e.includes("@@")).length).toBeGreaterThan(400);
    pairs.forEach(([a, b], i) => {
      const ours = unifiedDiff(a, b, "a", "b");
      expect(ours === "" ? "" : ours.slice(ours.indexOf("@@"))).toBe(expected[i]);
    });
  });

  it("matches git diff's hunks byte for byte on 300 pairs of Latin-1 / invalid UTF-8 / BOM / CRLF byte strings", async () => {
    const pairs = fc.sample(fc.tuple(bytesArb, bytesArb), { numRuns: 300, seed: 8859 });
    const expected = await gitDiff(pairs);
    expect(expected.filter((e) => /[\x80-\xff]/.test(e)).length).toBeGreaterThan(200);
    pairs.forEach(([a, b], i) => {
      const ours = unifiedDiff(a, b, "a", "b");
      expect(ours === "" ? "" : ours.slice(ours.indexOf("@@"))).toBe(expected[i]);
    });
  });

  it("counts added and removed lines", () => {
    expect(countChanges("a\nb\nc\n", "a\nB\nc\nd\n")).toEqual({ added: 2, removed: 1 });
    expect(unifiedDiff("same\n", "same\n", "a", "b")).toBe("");
  });
});
