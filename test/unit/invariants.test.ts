import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defined, UserError } from "../../src/errors.js";
import { sortedEntries, sortedPaths, textFile, type FileTree } from "../../src/tree.js";
import { targetOf, type UpgradeChain } from "../../src/upgrade/chain.js";
import type { VersionAnswers } from "../../src/upgrade/steps.js";
import { firstIssue } from "../../src/validation.js";

// What replaced the non-null assertions in src/ (biome's noNonNullAssertion is an error there now).
describe("checked invariants", () => {
  it("defined passes every value through, falsy ones included", () => {
    expect(defined(0, "a count")).toBe(0);
    expect(defined("", "a name")).toBe("");
    expect(defined(null, "a value")).toBeNull();
    expect(defined(false, "a flag")).toBe(false);
  });

  it("defined fails on undefined as paved's bug, not as the user's mistake", () => {
    let caught: unknown;
    try {
      defined(new Map<string, number>().get("x"), "the entry of a listed path");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(caught).not.toBeInstanceOf(UserError);
    expect((caught as Error).message).toBe("bug: the entry of a listed path is missing");
  });

  it("sortedEntries lists a tree in sortedPaths' order, each path with its own entry", () => {
    const names = ["b.txt", "B.txt", "a/b", "a.b", "a-b", "a/B", "é.md", "z", "_x", ".github/ci.yml", "10.md", "9.md", "a"];
    const tree: FileTree = new Map(names.map((n) => [n, textFile(`content of ${n}\n`)]));
    const entries = sortedEntries(tree);
    expect(entries.map(([p]) => p)).toEqual(sortedPaths(tree));
    for (const [p, entry] of entries) expect(entry).toBe(tree.get(p));
  });

  it("firstIssue is the first problem zod reports", () => {
    const result = z.object({ a: z.string(), b: z.number() }).safeParse({ a: 1, b: "x" });
    if (result.success) throw new Error("the parse should fail");
    expect(firstIssue(result.error).path).toEqual(["a"]);
  });

  it("targetOf is the last version of an upgrade's chain, the recorded one when it is alone", () => {
    const step = (version: string) => ({ version: { manifest: { version } }, answers: {} }) as unknown as VersionAnswers;
    const recorded = step("1.0.0");
    expect(targetOf([recorded])).toBe(recorded);
    const chain: UpgradeChain = [recorded, step("1.1.0"), step("2.0.0")];
    expect(targetOf(chain).version.manifest.version).toBe("2.0.0");
  });
});
