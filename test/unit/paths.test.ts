import path from "node:path";
import { describe, expect, it } from "vitest";
import { isDotGitName, MAX_SYMLINK_HOPS, resolveInside, symlinkProblem, unsafePathReason } from "../../src/fs/paths.js";

describe("path rules", () => {
  it.each(["a.txt", "src/a.ts", ".github/workflows/ci.yml", "a..b/c", "..a", "with space/x"])("accepts %j", (p) => {
    expect(unsafePathReason(p)).toBeUndefined();
  });

  it.each([
    ["", "is empty"],
    ["../x", 'contains ".."'],
    ["a/../../x", 'contains ".."'],
    ["/abs", "is absolute"],
    ["C:/x", "is a Windows drive path"],
    ["c:x", "is a Windows drive path"],
    ["a\\b", "contains a backslash"],
    ["a\0b", "contains a NUL byte"],
    ["a//b", "contains an empty or '.' segment"],
    ["./a", "contains an empty or '.' segment"],
    [".git/config", "writes into .git"],
    [".GIT/hooks/pre-commit", "writes into .git"],
    [".git./config", "writes into .git"],
    [".git /config", "writes into .git"],
    [".Git. . /config", "writes into .git"],
    ["sub/.git/config", "writes into .git"],
    ["a/b/.gIt", "writes into .git"],
    ["GIT~1/config", "writes into .git"],
    [".git::$INDEX_ALLOCATION/config", "writes into .git"],
    [".g\u200cit/config", "writes into .git"],
  ])("refuses %j (%s)", (p, reason) => {
    expect(unsafePathReason(p)).toBe(reason);
  });

  it("resolves inside a root only", () => {
    expect(resolveInside("/r", "a/b", "t")).toBe("/r/a/b");
    expect(resolveInside("/r/x/../", "a", "t")).toBe("/r/a");
    expect(resolveInside("/", "a/b", "t")).toBe("/a/b");
    expect(resolveInside("rel", "a", "t")).toBe(path.join(process.cwd(), "rel", "a"));
    for (const bad of ["../b", "a/../../b", "/etc/passwd", "a//b", "./a", "a\\..\\..\\b", "C:/x", ".git/hooks/x"])
      expect(() => resolveInside("/r", bad, "t"), bad).toThrow(/would leave the target/);
    // A safe path answered from memory is still checked for every other path.
    expect(resolveInside("/r", "a/b", "t")).toBe("/r/a/b");
    expect(unsafePathReason("a/b/..")).toBe('contains ".."');
  });

  it.each([".gitignore", ".github", ".gitkeep", "git", "x.git", ".git-blame-ignore-revs", "..", "..."])(
    "does not take %j for .git",
    (name) => {
      expect(isDotGitName(name)).toBe(false);
    },
  );

  const one = (link: string, target: string) => symlinkProblem(new Map([[link, { symlink: target }]]), link);

  it.each([
    ["link", "target.txt", undefined],
    ["dir/link", "../other.txt", undefined],
    ["dir/link", ".", undefined],
    ["dir/link", "../../out.txt", "leaves"],
    ["link", "/etc/passwd", "leaves"],
    ["link", "C:/x", "leaves"],
    ["link", "..\\..\\x", "leaves"],
    ["link", "..", "leaves"],
    ["link", ".", "leaves"],
    ["link", ".git", "dot-git"],
    ["link", ".GIT./hooks", "dot-git"],
    ["d/link", "../.git /config", "dot-git"],
    ["link", "sub/../.git", "dot-git"],
    ["link", ".git/../README.md", "dot-git"],
  ])("symlink %s -> %j alone: %s", (link, target, problem) => {
    expect(one(link, target)).toBe(problem);
  });

  it("follows a chain hop by hop: '..' after a link climbs from where the link led (issue 11 item 7)", () => {
    const deep = "d1/d2/d3/d4/d5/d6/d7/d8";
    const tree = new Map([
      [deep, { symlink: "../../../top" }],
      ["passwd", { symlink: `${deep}/../../../../../../../../etc/passwd` }],
      ["ok", { symlink: `${deep}/../d5-sibling` }],
    ]);
    // Lexically "passwd" normalizes to etc/passwd inside; on disk d8 is d1/d2/d3/d4/top, so eight ".." leave.
    expect(symlinkProblem(tree, deep)).toBeUndefined();
    expect(symlinkProblem(tree, "passwd")).toBe("leaves");
    expect(symlinkProblem(tree, "ok")).toBeUndefined();
  });

  it("refuses a chain that ends in .git, and loops", () => {
    expect(
      symlinkProblem(
        new Map([
          ["a", { symlink: "b" }],
          ["b", { symlink: ".git" }],
        ]),
        "a",
      ),
    ).toBe("dot-git");
    expect(
      symlinkProblem(
        new Map([
          ["a", { symlink: "b" }],
          ["b", { symlink: "a" }],
        ]),
        "a",
      ),
    ).toBe("loop");
    const chain = new Map(
      Array.from(
        { length: MAX_SYMLINK_HOPS + 1 },
        (_, i) => [`l${i}`, { symlink: i === MAX_SYMLINK_HOPS ? "end.txt" : `l${i + 1}` }] as const,
      ),
    );
    expect(symlinkProblem(chain, `l${MAX_SYMLINK_HOPS - 1}`)).toBeUndefined();
    expect(symlinkProblem(chain, "l0")).toBe("loop");
  });
});
