import { mkdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pavedScope } from "../../src/answers/answers.js";
import { gitlabIncludeProblem } from "../../src/monorepo/gitlab-include.js";
import { isWithin, placeRenderedFiles, repoRelativePath } from "../../src/monorepo/placement.js";
import { textFile, type FileTree } from "../../src/tree.js";
import { tempDir } from "../helpers.js";
import { builtinCliRenderMeta } from "../../src/config.js";

describe("gitlabIncludeProblem", () => {
  const file = ".gitlab/ci/ledger.yml";
  it.each([
    ['include:\n  - local: ".gitlab/ci/*.yml"\n', undefined],
    ['include:\n  - local: "/.gitlab/ci/*.yml"\n', undefined],
    ["include: .gitlab/ci/ledger.yml\n", undefined],
    ['include:\n  local: ".gitlab/ci/ledger.yml"\n', undefined],
    ["include:\n  - template: Jobs/SAST.gitlab-ci.yml\n  - local: .gitlab/ci/*.yaml\n", "not-included"],
    ['include:\n  - local: ".gitlab/*.yml"\n', "not-included"], // GitLab's * stays in one folder
    ["include:\n  - https://example.com/.gitlab/ci/ledger.yml\n", "not-included"],
    ["stages: [test]\n", "not-included"],
    ["include: [\n", "invalid"],
    [undefined, "missing"],
  ])("%j -> %s", (text, expected) => {
    expect(gitlabIncludeProblem(text, file)).toBe(expected);
  });
});

describe("placeRenderedFiles", () => {
  const tree: FileTree = new Map([
    [".github/workflows/api-ci.yml", textFile("ci")],
    ["src/app.ts", textFile("app")],
    [".github-notes.md", textFile("notes")],
  ]);
  it("moves the rootFiles globs' files to the root only in a subdirectory", () => {
    const placed = placeRenderedFiles(tree, [".github/**"], "packages/api");
    expect([...placed.root.keys()]).toEqual([".github/workflows/api-ci.yml"]);
    expect([...placed.service.keys()]).toEqual(["src/app.ts", ".github-notes.md"]);
    expect(placeRenderedFiles(tree, [".github/**"], "").root.size).toBe(0);
    expect(placeRenderedFiles(tree, [], "packages/api").service).toBe(tree);
  });
});

describe("repository paths", () => {
  it("are POSIX, relative to the real top, for folders that do not exist yet and through a symlinked parent", () => {
    const top = tempDir();
    mkdirSync(path.join(top, "packages"));
    expect(repoRelativePath(top, path.join(top, "packages", "new", "svc"))).toBe("packages/new/svc");
    const link = path.join(tempDir(), "link");
    symlinkSync(top, link);
    expect(repoRelativePath(top, path.join(link, "packages", "svc"))).toBe("packages/svc");
  });
  it("isWithin treats the root as holding everything and compares whole segments", () => {
    expect(isWithin("packages/a/b", "packages/a")).toBe(true);
    expect(isWithin("packages/ab", "packages/a")).toBe(false);
    expect(isWithin("anything", "")).toBe(true);
  });
  it("paved.root climbs one level per segment; the root is '.' and path ''", () => {
    expect(pavedScope({ template: "t", version: "1.0.0", dirName: "x", path: "packages/a", ...builtinCliRenderMeta() })).toMatchObject({
      path: "packages/a",
      root: "../..",
    });
    expect(pavedScope({ template: "t", version: "1.0.0", dirName: "x", ...builtinCliRenderMeta() })).toMatchObject({ path: "", root: "." });
  });
});
