import { describe, expect, it } from "vitest";
import { resolveInside, symlinkStaysInside, unsafePathReason } from "../../src/fs/paths.js";

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
  ])("refuses %j (%s)", (p, reason) => {
    expect(unsafePathReason(p)).toBe(reason);
  });

  it("resolves inside a root only", () => {
    expect(resolveInside("/r", "a/b", "t")).toBe("/r/a/b");
    expect(() => resolveInside("/r", "../b", "t")).toThrow(/would leave the target/);
  });

  it.each([
    ["link", "target.txt", true],
    ["dir/link", "../other.txt", true],
    ["dir/link", "../../out.txt", false],
    ["link", "/etc/passwd", false],
    ["link", "..", false],
  ])("symlink %s -> %s stays inside: %s", (link, target, inside) => {
    expect(symlinkStaysInside(link, target)).toBe(inside);
  });
});
