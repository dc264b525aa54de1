import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { textFile, type FileTree } from "../../src/tree.js";
import { applyPathMigrations, describeStep, followRenderedRenames, migrationCommands } from "../../src/upgrade/migrate.js";

const tree = (files: Record<string, string>): FileTree => new Map(Object.entries(files).map(([p, t]) => [p, textFile(t)]));
const text = (t: FileTree, p: string) => (t.get(p) ? Buffer.from(t.get(p)!.data).toString() : undefined);

describe("applyPathMigrations", () => {
  it("renames a file or a whole directory in the team's tree and in the old render", () => {
    const ours = tree({ "conf.yml": "team\n", "lib/a.ts": "a\n", "lib/b/c.ts": "c\n", "libx.ts": "not under lib/\n" });
    const base = tree({ "conf.yml": "base\n", "lib/a.ts": "a\n" });
    const out = applyPathMigrations(
      [{ rename: { from: "conf.yml", to: "config/app.yml" } }, { rename: { from: "lib", to: "src/lib" } }],
      "1.1.0",
      ours,
      base,
      "t.yaml",
    );
    expect([...out.ours.keys()].sort()).toEqual(["config/app.yml", "libx.ts", "src/lib/a.ts", "src/lib/b/c.ts"]);
    expect(text(out.ours, "config/app.yml")).toBe("team\n");
    expect([...out.base.keys()].sort()).toEqual(["config/app.yml", "src/lib/a.ts"]);
    expect(out.records.map((r) => r.status)).toEqual(["applied", "applied"]);
  });

  it("does not rename onto an existing file, and reports it", () => {
    const out = applyPathMigrations(
      [{ rename: { from: "a.txt", to: "b.txt" } }],
      "1.1.0",
      tree({ "a.txt": "a\n", "b.txt": "b\n" }),
      tree({ "a.txt": "a\n" }),
      "t.yaml",
    );
    expect(text(out.ours, "a.txt")).toBe("a\n");
    expect(text(out.ours, "b.txt")).toBe("b\n");
    expect(out.records[0]).toMatchObject({ status: "kept" });
  });

  it("deletes untouched files and keeps (and reports) files the team changed", () => {
    const base = tree({ "old/x.txt": "x\n", "old/y.txt": "y\n" });
    const ours = tree({ "old/x.txt": "x\n", "old/y.txt": "y edited\n" });
    const out = applyPathMigrations([{ delete: "old" }], "2.0.0", ours, base, "t.yaml");
    expect([...out.ours.keys()]).toEqual(["old/y.txt"]);
    expect(out.base.size).toBe(0);
    expect(out.records[0]).toMatchObject({ status: "kept", detail: expect.stringContaining("old/y.txt") });
  });

  it("skips steps whose paths are not in the service", () => {
    const out = applyPathMigrations([{ delete: "nope" }, { rename: { from: "a", to: "b" } }], "2.0.0", tree({}), tree({}), "t.yaml");
    expect(out.records.map((r) => r.status)).toEqual(["skipped", "skipped"]);
  });

  it("refuses paths that leave the service, naming the manifest", () => {
    expect(() => applyPathMigrations([{ delete: "../etc" }], "2.0.0", tree({}), tree({}), "svc/2.0.0/template.yaml")).toThrow(UserError);
    expect(() =>
      applyPathMigrations([{ rename: { from: "a", to: "/abs" } }], "2.0.0", tree({}), tree({}), "svc/2.0.0/template.yaml"),
    ).toThrow(/template\.yaml: migrations rename\.to/);
  });

  it("lists command steps for the trust check", () => {
    expect(
      migrationCommands([{ delete: "x" }, { run: "npx codemod src" }, { run: ["node", "a b.js"] }]).map((c) => [c.file, ...c.args]),
    ).toEqual([
      ["npx", "codemod", "src"],
      ["node", "a b.js"],
    ]);
    expect(describeStep({ rename: { from: "a", to: "b" } })).toBe("rename a -> b");
  });
});

describe("followRenderedRenames", () => {
  const rendered = (files: Record<string, [origin: string, text: string]>) => ({
    tree: tree(Object.fromEntries(Object.entries(files).map(([p, [, t]]) => [p, t]))),
    origins: new Map(Object.entries(files).map(([p, [o]]) => [p, o])),
  });

  it("moves a file whose rendered path changed, with the team's edits, in ours and in the old render", () => {
    const base = rendered({ "src/old-name.ts": ["src/{{name}}.ts", "base\n"], "same.txt": ["same.txt", "s\n"] });
    const theirs = rendered({ "src/new-name.ts": ["src/{{name}}.ts", "theirs\n"], "same.txt": ["same.txt", "s\n"] });
    const out = followRenderedRenames(base, theirs, tree({ "src/old-name.ts": "team\n", "same.txt": "s\n" }), "1.0.0");
    expect(text(out.ours, "src/new-name.ts")).toBe("team\n");
    expect(out.ours.has("src/old-name.ts")).toBe(false);
    expect(text(out.base, "src/new-name.ts")).toBe("base\n");
    expect(out.records).toEqual([expect.objectContaining({ step: "rename src/old-name.ts -> src/new-name.ts", status: "applied" })]);
  });

  it("leaves the file where it is when the team already has the new path", () => {
    const base = rendered({ "a.ts": ["{{x}}.ts", "base\n"] });
    const theirs = rendered({ "b.ts": ["{{x}}.ts", "theirs\n"] });
    const out = followRenderedRenames(base, theirs, tree({ "a.ts": "team a\n", "b.ts": "team b\n" }), "1.0.0");
    expect(text(out.ours, "a.ts")).toBe("team a\n");
    expect(text(out.base, "a.ts")).toBe("base\n");
    expect(out.records[0]).toMatchObject({ status: "kept" });
  });
});
