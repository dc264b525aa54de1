import { existsSync, readdirSync, statSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readTree } from "../../src/fs/read-tree.js";
import { textFile } from "../../src/tree.js";
import { applyAtomically, treeChanges } from "../../src/upgrade/apply.js";
import { snapshotDir, tempDir, writeFiles } from "../helpers.js";

async function setup() {
  const root = writeFiles(tempDir("paved-apply-"), { "keep.txt": "keep\n", "change.txt": "old\n", "gone/deep.txt": "bye\n" });
  const before = await readTree(root);
  const after = new Map(before);
  after.set("change.txt", textFile("new\n"));
  after.set("new/dir/file.sh", textFile("#!/bin/sh\n", 0o755));
  after.set(".paved.yml", textFile("version: 2\n"));
  after.delete("gone/deep.txt");
  return { root, before, after };
}

describe("applyAtomically", () => {
  it("writes, creates directories, sets modes, deletes and prunes emptied directories", async () => {
    const { root, before, after } = await setup();
    const changes = treeChanges(before, after, ".paved.yml");
    expect([...changes.writes.keys()]).toEqual([".paved.yml", "change.txt", "new/dir/file.sh"]);
    expect(changes.deletes).toEqual(["gone/deep.txt"]);
    applyAtomically(root, changes, before);
    const now = await readTree(root);
    expect(Buffer.from(now.get("change.txt")!.data).toString()).toBe("new\n");
    expect(statSync(path.join(root, "new/dir/file.sh")).mode & 0o777).toBe(0o755);
    expect(existsSync(path.join(root, "gone"))).toBe(false);
    expect([...now.keys()].sort()).toEqual([".paved.yml", "change.txt", "keep.txt", "new/dir/file.sh"]);
  });

  it("puts the `last` file in place after every other write and delete", async () => {
    const { root, before, after } = await setup();
    let seenWhenLast: boolean | undefined;
    applyAtomically(root, treeChanges(before, after, ".paved.yml"), before, () => {
      seenWhenLast = existsSync(path.join(root, ".paved.yml")) && !existsSync(path.join(root, "gone"));
    });
    expect(seenWhenLast).toBe(true);
  });

  it("restores everything when the transaction fails at the end", async () => {
    const { root, before, after } = await setup();
    const snapshot = snapshotDir(root);
    const failingIndexUpdate = () => {
      throw new Error("index update failed");
    };
    expect(() => applyAtomically(root, treeChanges(before, after, ".paved.yml"), before, failingIndexUpdate)).toThrow(
      "index update failed",
    );
    expect(snapshotDir(root)).toEqual(snapshot);
  });

  it("refuses to write through a directory that is a symlink, changing nothing", async () => {
    const outside = tempDir("paved-outside-");
    const root = writeFiles(tempDir("paved-apply-"), { "a.txt": "a\n" });
    symlinkSync(outside, path.join(root, "docs"));
    const before = await readTree(root);
    const after = new Map(before);
    after.set("a.txt", textFile("changed\n"));
    after.set("docs/new.md", textFile("escape\n"));
    expect(() => applyAtomically(root, treeChanges(before, after), before)).toThrow(/docs is a symlink/);
    expect(readdirSync(outside)).toEqual([]);
    expect(Buffer.from((await readTree(root)).get("a.txt")!.data).toString()).toBe("a\n");
  });
});
