import { renameSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, snapshotDir, tempDir, writeFiles } from "../helpers.js";
import { makeSource, type FixtureVersion } from "../template-fixtures.js";

/**
 * A template's mistakes are located by data: with --json the error carries `code` and `fields.file` (the file as
 * the person sees it), and the one line a person reads is that file, `: `, and the reason, byte for byte.
 */
const STACK = /\n\s+at .*\.js:\d+/;
const nameQuestion = { questions: [{ name: "name", type: "input", message: "Name" }] };

async function refusal(args: string[], cwd: string) {
  const before = snapshotDir(cwd);
  const json = await runCli([...args, "--json"], { cwd });
  expect(json.exitCode, json.stdout).toBe(2);
  const { error } = JSON.parse(json.stdout);
  const human = await runCli(args, { cwd });
  expect(human.exitCode).toBe(2);
  expect(human.stderr).not.toMatch(STACK);
  expect(human.stderr.split("\n").find((l) => l.startsWith("error: "))).toBe(`error: ${error.message}`);
  expect(snapshotDir(cwd)).toEqual(before);
  return error as { message: string; code: string; fields: Record<string, unknown> };
}

function world(version: FixtureVersion) {
  const root = tempDir("paved-fields-");
  const source = makeSource({ evil: { "1.0.0": version } }, path.join(root, "src"));
  return { root, source, files: path.join(source, "evil", "1.0.0", "files") };
}

const newEvil = (set: string[] = []) => ["new", "evil", "svc", "--source", "src", "--no-git", ...set];

describe("a template's refusal carries its file as fields.file (--json)", () => {
  it("files.when naming no question: template.yaml, the field path stays in the reason", async () => {
    const w = world({ manifest: { ...nameQuestion, files: { when: { "opt/**": "nope == 'a'" } } }, files: { "opt/o.txt": "o" } });
    const error = await refusal(newEvil(["--set", "name=a"]), w.root);
    expect(error).toEqual({
      message: 'src/evil/1.0.0/template.yaml: files.when["opt/**"]: unknown name "nope"',
      hint: expect.any(String),
      code: "user",
      fields: { file: "src/evil/1.0.0/template.yaml" },
    });
  });

  it("two files rendering to one path: the second file, template-collision", async () => {
    const w = world({ manifest: nameQuestion, files: { "{{name}}.txt": "x", "b.txt": "b" } });
    const error = await refusal(newEvil(["--set", "name=b"]), w.root);
    expect(error.code).toBe("template-collision");
    expect(error.fields).toEqual({ file: expect.stringMatching(/files\/(b|\{\{name\}\})\.txt$/) });
    expect(error.message).toBe(`${error.fields.file}: renders to b.txt, which another template file also renders to`);
  });

  it("a file rendering beneath a symlink: that file, unsafe-path", async () => {
    const w = world({ manifest: nameQuestion, files: { "docs/r.md": "r", "{{name}}/x.txt": "x" } });
    symlinkSync("docs/r.md", path.join(w.files, "link"));
    const error = await refusal(newEvil(["--set", "name=link"]), w.root);
    expect(error.code).toBe("unsafe-path");
    expect(error.fields).toEqual({ file: expect.stringMatching(/files\/\{\{name\}\}\/x\.txt$/) });
    expect(error.message).toBe(
      `${error.fields.file}: renders to link/x.txt, inside the symlink link; paved never writes through a symlink`,
    );
  });

  it("a template symlink that leaves the template: the link, unsafe-path", async () => {
    const w = world({ files: { "ok.txt": "fine" } });
    symlinkSync("../../../../../../etc/passwd", path.join(w.files, "passwd"));
    const error = await refusal(newEvil(), w.root);
    expect(error).toMatchObject({ code: "unsafe-path", fields: { file: "src/evil/1.0.0/files/passwd" } });
    expect(error.message).toMatch(/^src\/evil\/1\.0\.0\/files\/passwd: symlink to "[./]+etc\/passwd" leaves the template/);
  });

  it("a manifest whose name or version is not its folder's: template.yaml", async () => {
    const w = world({ manifest: "name: other\nversion: 1.0.0\ndescription: x\n" });
    expect(await refusal(newEvil(), w.root)).toMatchObject({
      message: 'src/evil/1.0.0/template.yaml: name is "other" but the folder is "evil"',
      fields: { file: "src/evil/1.0.0/template.yaml" },
    });
    writeFiles(path.join(w.source, "evil", "1.0.0"), { "template.yaml": "name: evil\nversion: 1.0.1\ndescription: x\n" });
    expect(await refusal(newEvil(), w.root)).toMatchObject({
      message: 'src/evil/1.0.0/template.yaml: version is "1.0.1" but the folder is "1.0.0"',
      fields: { file: "src/evil/1.0.0/template.yaml" },
    });
  });

  it("a next step or hook command that does not render: template.yaml, the field leads the reason", async () => {
    const unknown = world({ manifest: { ...nameQuestion, nextSteps: ["run {{nme}}"] } });
    expect(await refusal(newEvil(["--set", "name=a"]), unknown.root)).toEqual({
      // `:1` is the line within the step's text, not a line of template.yaml: it stays in the reason.
      message: "src/evil/1.0.0/template.yaml: nextSteps[0]:1: {{nme}} is not defined (no question or value of that name)",
      hint: expect.any(String),
      code: "template-unknown-variable",
      fields: { file: "src/evil/1.0.0/template.yaml", variable: "nme" },
    });
    const block = world({ manifest: { ...nameQuestion, hooks: { postCreate: [{ run: "echo {{#if name}}x{{/if}}", shell: true }] } } });
    expect(await refusal(newEvil(["--set", "name=a", "--trust"]), block.root)).toEqual({
      message:
        "src/evil/1.0.0/template.yaml: hooks.postCreate[0]: a shell command may hold {{answers}} but not blocks such as {{#if}}: their text would reach the shell unquoted",
      hint: expect.any(String),
      code: "template-syntax",
      fields: { file: "src/evil/1.0.0/template.yaml" },
    });
  });

  it("a recorded source that is gone: .paved.yml", async () => {
    const w = world({ files: { "a.txt": "a" } });
    const made = await runCli(newEvil(), { cwd: w.root });
    expect(made.exitCode, made.stderr).toBe(0);
    renameSync(w.source, path.join(w.root, "moved"));
    const error = await refusal(["upgrade"], path.join(w.root, "svc"));
    expect(error).toMatchObject({
      message: `.paved.yml: source ../src (${w.source}) does not exist`,
      code: "user",
      fields: { file: ".paved.yml" },
    });
  });

  // Not a file: the flag and what was given to it are the location (`--flag value: `), for --json readers too.
  it("a flag's value that is wrong: the flag and the value", async () => {
    const w = world({ files: { "a.txt": "a" } });
    expect(await refusal(newEvil(["--set", "owner"]), w.root)).toMatchObject({
      message: "--set owner: expected key=value",
      fields: { flag: "--set", value: "owner" },
    });
    expect(await refusal(["new", "evil", "svc", "--source", "nowhere", "--yes"], w.root)).toMatchObject({
      message: "--source nowhere: no such directory",
      fields: { flag: "--source", value: "nowhere" },
    });
    const made = await runCli(newEvil(), { cwd: w.root });
    expect(made.exitCode, made.stderr).toBe(0);
    expect(await refusal(["upgrade", "--to", "9.9.9"], path.join(w.root, "svc"))).toMatchObject({
      message: `--to 9.9.9: evil has no such version in ${w.source}`,
      code: "user",
      fields: { flag: "--to", value: "9.9.9" },
    });
  });
});
