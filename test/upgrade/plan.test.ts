import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers.js";
import { applyPlan, planUpgrade, type FileAction, type PlanInput } from "../../src/upgrade/plan.js";
import { entryText, textFile, type FileEntry, type FileTree } from "../../src/tree.js";

const labels = { ours: "yours (svc 1.0.0)", base: "svc 1.0.0", theirs: "svc 1.1.0" };

function tree(files: Record<string, string | FileEntry>): FileTree {
  return new Map(Object.entries(files).map(([p, v]) => [p, typeof v === "string" ? textFile(v) : v]));
}

function plan(
  base: Record<string, string | FileEntry>,
  theirs: Record<string, string | FileEntry>,
  ours: Record<string, string | FileEntry>,
  extra: Partial<PlanInput> = {},
) {
  const input: PlanInput = { base: tree(base), theirs: tree(theirs), ours: tree(ours), managed: new Set(), labels, ...extra };
  const actions = planUpgrade(input);
  return { actions, result: applyPlan(input.ours, actions), byPath: (p: string) => actions.find((a) => a.path === p) as FileAction };
}

const binary = (bytes: number[], mode = 0o644): FileEntry => ({ data: Uint8Array.from(bytes), mode });
/** A file from a byte string ("caf\xe9" is the 4 bytes of "café" in Latin-1). */
const latin1 = (text: string, mode = 0o644): FileEntry => ({ data: Buffer.from(text, "latin1"), mode });
const bytesOf = (entry: FileEntry | undefined) => Buffer.from(entry!.data).toString("latin1");

/** What `git merge-file -p` makes of the same three files, with upgrade's labels (a byte string). */
function gitMergeFile(base: string, ours: string, theirs: string): { text: string; status: number | null } {
  const dir = tempDir("paved-plan-merge-");
  for (const [name, text] of Object.entries({ base, ours, theirs })) writeFileSync(path.join(dir, name), Buffer.from(text, "latin1"));
  const run = spawnSync("git", ["merge-file", "-p", "-L", labels.ours, "-L", labels.base, "-L", labels.theirs, "ours", "base", "theirs"], {
    cwd: dir,
  });
  return { text: run.stdout.toString("latin1"), status: run.status };
}

describe("planUpgrade per-file rules", () => {
  it("takes theirs when the team did not touch the file", () => {
    const { byPath, result } = plan({ "a.txt": "1\n2\n" }, { "a.txt": "1\nTWO\n" }, { "a.txt": "1\n2\n" });
    expect(byPath("a.txt").action).toBe("update");
    expect(entryText(result.get("a.txt")!)).toBe("1\nTWO\n");
  });

  it("keeps the team's version when the template did not change the file", () => {
    const { byPath, result } = plan({ "a.txt": "1\n2\n" }, { "a.txt": "1\n2\n" }, { "a.txt": "1\nmine\n" });
    expect(byPath("a.txt").action).toBe("keep");
    expect(byPath("a.txt").result).toBeUndefined();
    expect(entryText(result.get("a.txt")!)).toBe("1\nmine\n");
  });

  it("says nothing about files nobody changed or the team's own files", () => {
    const { actions } = plan({ "a.txt": "1\n" }, { "a.txt": "1\n" }, { "a.txt": "1\n", "src/mine.ts": "x\n" });
    expect(actions).toEqual([]);
  });

  it("merges cleanly when both changed different lines", () => {
    const { byPath, result } = plan({ "a.txt": "1\n2\n3\n4\n5\n" }, { "a.txt": "1\n2\n3\n4\nFIVE\n" }, { "a.txt": "ONE\n2\n3\n4\n5\n" });
    expect(byPath("a.txt").action).toBe("merge");
    expect(entryText(result.get("a.txt")!)).toBe("ONE\n2\n3\n4\nFIVE\n");
  });

  it("writes labelled conflict markers and keeps the three versions when both changed the same lines", () => {
    const { byPath, result } = plan({ "a.txt": "1\n2\n3\n" }, { "a.txt": "1\ntheirs\n3\n" }, { "a.txt": "1\nours\n3\n" });
    const a = byPath("a.txt");
    expect(a.action).toBe("conflict");
    expect(entryText(result.get("a.txt")!)).toBe("1\n<<<<<<< yours (svc 1.0.0)\nours\n=======\ntheirs\n>>>>>>> svc 1.1.0\n3\n");
    expect(a.conflict).toMatchObject({ kind: "content", regions: 1 });
    expect(entryText(a.conflict!.base!)).toBe("1\n2\n3\n");
    expect(entryText(a.conflict!.ours!)).toBe("1\nours\n3\n");
    expect(entryText(a.conflict!.theirs!)).toBe("1\ntheirs\n3\n");
  });

  it("with --conflict rej keeps the team's lines and writes the template's side to <file>.rej", () => {
    const { byPath, result } = plan(
      { "a.txt": "1\n2\n3\n" },
      { "a.txt": "1\ntheirs\n3\n" },
      { "a.txt": "1\nours\n3\n" },
      { conflict: "rej" },
    );
    expect(byPath("a.txt").action).toBe("conflict");
    expect(entryText(result.get("a.txt")!)).toBe("1\nours\n3\n");
    expect(entryText(result.get("a.txt.rej")!)).toBe("--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n 1\n-ours\n+theirs\n 3\n");
  });

  it("takes an identical change on both sides once", () => {
    const { byPath, result } = plan({ "a.txt": "1\n2\n" }, { "a.txt": "1\nsame\n" }, { "a.txt": "1\nsame\n" });
    expect(byPath("a.txt").action).toBe("keep");
    expect(entryText(result.get("a.txt")!)).toBe("1\nsame\n");
  });

  it("deletes a file the template removed when the team did not touch it", () => {
    const { byPath, result } = plan({ "old.txt": "x\n" }, {}, { "old.txt": "x\n" });
    expect(byPath("old.txt")).toMatchObject({ action: "delete", result: null });
    expect(result.has("old.txt")).toBe(false);
  });

  it("keeps and reports a file the template removed but the team edited", () => {
    const { byPath, result } = plan({ "old.txt": "x\n" }, {}, { "old.txt": "x\nmine\n" });
    expect(byPath("old.txt")).toMatchObject({ action: "keep", notice: true });
    expect(entryText(result.get("old.txt")!)).toBe("x\nmine\n");
  });

  it("leaves a file the team deleted deleted, even when the template changed it", () => {
    const { byPath, result } = plan({ "a.txt": "1\n" }, { "a.txt": "2\n" }, {});
    expect(byPath("a.txt").action).toBe("keep");
    expect(result.has("a.txt")).toBe(false);
  });

  it("creates a new template file", () => {
    const { byPath, result } = plan({}, { "new.txt": "n\n" }, {});
    expect(byPath("new.txt").action).toBe("create");
    expect(entryText(result.get("new.txt")!)).toBe("n\n");
  });

  it("merges a new template file with a team file of the same name using an empty base", () => {
    const { byPath, result } = plan({}, { "new.txt": "template\n" }, { "new.txt": "team\n" });
    expect(byPath("new.txt").action).toBe("conflict");
    expect(byPath("new.txt").conflict!.base).toBeUndefined();
    expect(entryText(result.get("new.txt")!)).toBe("<<<<<<< yours (svc 1.0.0)\nteam\n=======\ntemplate\n>>>>>>> svc 1.1.0\n");
  });

  it("binary files: theirs when untouched, else the team's kept and a conflict reported", () => {
    const untouched = plan({ "logo.png": binary([0, 1, 2]) }, { "logo.png": binary([0, 9, 9]) }, { "logo.png": binary([0, 1, 2]) });
    expect(untouched.byPath("logo.png").action).toBe("update");
    expect([...untouched.result.get("logo.png")!.data]).toEqual([0, 9, 9]);
    const edited = plan({ "logo.png": binary([0, 1, 2]) }, { "logo.png": binary([0, 9, 9]) }, { "logo.png": binary([0, 5, 5]) });
    expect(edited.byPath("logo.png")).toMatchObject({ action: "conflict", conflict: { kind: "binary" } });
    expect([...edited.result.get("logo.png")!.data]).toEqual([0, 5, 5]);
  });

  it("merges a Latin-1 file line by line, bytes untouched, as git merge-file does", () => {
    const base = "# caf\xe9\n\nna\xefve\nprix: 3\nfin\n";
    const theirs = "# caf\xe9\n\nna\xefve\nprix: 4\nfin\n";
    const ours = "# caf\xe9 cr\xe8me\n\nna\xefve\nprix: 3\nfin\n";
    const { byPath, result } = plan({ "menu.txt": latin1(base) }, { "menu.txt": latin1(theirs) }, { "menu.txt": latin1(ours) });
    expect(byPath("menu.txt").action).toBe("merge");
    expect(bytesOf(result.get("menu.txt"))).toBe("# caf\xe9 cr\xe8me\n\nna\xefve\nprix: 4\nfin\n");
    expect(gitMergeFile(base, ours, theirs)).toEqual({ text: bytesOf(result.get("menu.txt")), status: 0 });
  });

  it("marks a real conflict in a Latin-1 file inline, exactly as git merge-file", () => {
    const base = "caf\xe9\nna\xefve\nfin\n";
    const ours = "caf\xe9\nna\xeff (\xe9quipe)\nfin\n";
    const theirs = "caf\xe9\nNA\xcfVE\nfin\n";
    const { byPath, result } = plan({ "menu.txt": latin1(base) }, { "menu.txt": latin1(theirs) }, { "menu.txt": latin1(ours) });
    expect(byPath("menu.txt")).toMatchObject({ action: "conflict", conflict: { kind: "content", regions: 1 } });
    const merged = bytesOf(result.get("menu.txt"));
    expect(merged).toBe("caf\xe9\n<<<<<<< yours (svc 1.0.0)\nna\xeff (\xe9quipe)\n=======\nNA\xcfVE\n>>>>>>> svc 1.1.0\nfin\n");
    expect(gitMergeFile(base, ours, theirs)).toEqual({ text: merged, status: 1 });
    // The .rej route keeps the bytes too.
    const rej = plan({ "menu.txt": latin1(base) }, { "menu.txt": latin1(theirs) }, { "menu.txt": latin1(ours) }, { conflict: "rej" });
    expect(bytesOf(rej.result.get("menu.txt"))).toBe(ours);
    expect(bytesOf(rej.result.get("menu.txt.rej"))).toBe(
      "--- a/menu.txt\n+++ b/menu.txt\n@@ -1,3 +1,3 @@\n caf\xe9\n-na\xeff (\xe9quipe)\n+NA\xcfVE\n fin\n",
    );
  });

  it("keeps a UTF-8 BOM and CRLF through merges and conflicts, as git merge-file", () => {
    const body = (name: string, port: string, owner: string) => `name: ${name}\r\nport: ${port}\r\n# -\r\nowner: ${owner}\r\n`;
    const bom = "\xef\xbb\xbf";
    const base = bom + body("svc", "80", "a");
    const cases = [
      { ours: bom + body("svc", "80", "b"), theirs: bom + body("svc", "8080", "a"), action: "merge", status: 0 },
      { ours: bom + body("mine", "80", "a"), theirs: bom + body("theirs", "80", "a"), action: "conflict", status: 1 },
      { ours: body("svc", "80", "a"), theirs: bom + body("svc", "80", "z"), action: "merge", status: 0 },
    ];
    for (const c of cases) {
      const { byPath, result } = plan({ "a.yml": latin1(base) }, { "a.yml": latin1(c.theirs) }, { "a.yml": latin1(c.ours) });
      expect(byPath("a.yml").action).toBe(c.action);
      expect(gitMergeFile(base, c.ours, c.theirs)).toEqual({ text: bytesOf(result.get("a.yml")), status: c.status });
    }
  });

  it("is binary only with a NUL in the first 8,000 bytes, like git", () => {
    const filler = "x\n".repeat(4000); // 8,000 bytes
    const late = plan(
      { "a.dat": latin1(`${filler}\0a\n-\n1\n`) },
      { "a.dat": latin1(`${filler}\0a\n-\n2\n`) },
      { "a.dat": latin1(`${filler}\0A\n-\n1\n`) },
    );
    expect(late.byPath("a.dat").action).toBe("merge");
    expect(bytesOf(late.result.get("a.dat"))).toBe(`${filler}\0A\n-\n2\n`);
    const early = plan(
      { "a.dat": latin1(`${filler.slice(2)}\0a\n-\n1\n`) },
      { "a.dat": latin1(`${filler.slice(2)}\0a\n-\n2\n`) },
      { "a.dat": latin1(`${filler.slice(2)}\0A\n-\n1\n`) },
    );
    expect(early.byPath("a.dat")).toMatchObject({ action: "conflict", conflict: { kind: "binary" } });
  });

  it("modes follow the same rules: the template's new mode when the team kept the old one, the team's when it changed it", () => {
    const exec = (text: string) => textFile(text, 0o755);
    const template = plan({ "run.sh": "echo\n" }, { "run.sh": exec("echo\n") }, { "run.sh": "echo\n" });
    expect(template.result.get("run.sh")!.mode).toBe(0o755);
    const team = plan({ "run.sh": "echo\n" }, { "run.sh": "echo hi\n" }, { "run.sh": exec("echo\n") });
    expect(team.result.get("run.sh")).toMatchObject({ mode: 0o755 });
    expect(entryText(team.result.get("run.sh")!)).toBe("echo hi\n");
    const both = plan({ "run.sh": "a\nb\nc\nd\n" }, { "run.sh": exec("a\nb\nc\nD\n") }, { "run.sh": "A\nb\nc\nd\n" });
    expect(both.result.get("run.sh")!.mode).toBe(0o755);
    expect(entryText(both.result.get("run.sh")!)).toBe("A\nb\nc\nD\n");
  });

  it("overwrites managed files with the template's version and says so", () => {
    const { byPath, result } = plan(
      { "ci.yml": "v1\n" },
      { "ci.yml": "v2\n" },
      { "ci.yml": "v1 edited\n" },
      { managed: new Set(["ci.yml"]) },
    );
    expect(byPath("ci.yml")).toMatchObject({ action: "overwrite", notice: true });
    expect(entryText(result.get("ci.yml")!)).toBe("v2\n");
  });

  it("never plans the ignored files (.paved.yml is written by upgrade itself)", () => {
    const { actions } = plan(
      { ".paved.yml": "a\n" },
      { ".paved.yml": "b\n" },
      { ".paved.yml": "a\n" },
      { ignore: new Set([".paved.yml"]) },
    );
    expect(actions).toEqual([]);
  });
});
