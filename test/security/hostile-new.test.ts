import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { runCli, snapshotDir, tempDir, writeFiles } from "../helpers.js";
import { makeSource, type FixtureVersion } from "../template-fixtures.js";

/**
 * Every case runs `paved new` from a hostile template or with hostile answers inside a "world" directory that also
 * holds files which must never change, and asserts: the exit code, the message, and that the world outside the
 * target is byte-for-byte what it was.
 */
function world(): { root: string; target: string } {
  const root = tempDir("paved-world-");
  writeFiles(root, { "precious.txt": "do not touch", "home/.bashrc": "export A=1", "etc/passwd": "root:x:0:0" });
  return { root, target: path.join(root, "work", "svc") };
}

function source(version: FixtureVersion, root?: string): string {
  return makeSource({ evil: { "1.0.0": version } }, root);
}

async function expectRefused(args: string[], message: RegExp, code = 2) {
  const w = world();
  const before = snapshotDir(w.root);
  const result = await runCli(["new", "evil", w.target, ...args]);
  expect(result.exitCode, result.stderr).toBe(code);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
  expect(snapshotDir(w.root)).toEqual(before);
  return result;
}

const nameQuestion = { questions: [{ name: "name", type: "input", message: "Name" }] };

describe("hostile paths", () => {
  it.each([
    ["../../precious.txt", '"../../precious.txt" contains ".."'],
    ["../outside", '"../outside" contains ".."'],
    ["/etc/passwd", '"/etc/passwd" is absolute'],
    ["C:/Windows/evil", "is a Windows drive path"],
    ["c:evil", "is a Windows drive path"],
    ["a\\..\\..\\x", "contains a backslash"],
    [".git/hooks/post-commit", "writes into .git"],
  ])("an answer that renders the file name %j is refused", async (answer, reason) => {
    const src = source({ manifest: nameQuestion, files: { "{{name}}": "x" } });
    await expectRefused(["--source", src, "--set", `name=${answer}`], new RegExp(reason.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  });

  it("a templated folder name that climbs out is refused", async () => {
    const src = source({ manifest: nameQuestion, files: { "{{name}}/x.txt": "x" } });
    await expectRefused(["--source", src, "--set", "name=.."], /"\.\.\/x\.txt" contains "\.\."/);
  });

  it("a NUL byte from an answers file is refused", async () => {
    const src = source({ manifest: nameQuestion, files: { "{{name}}.txt": "x" } });
    const answers = writeFiles(tempDir(), { "a.yml": 'name: "a\\0b"\n' });
    await expectRefused(["--source", src, "--answers-file", path.join(answers, "a.yml")], /contains a NUL byte/);
  });

  it("a template symlink that points outside is refused when the template loads", async () => {
    const root = makeSource({ evil: { "1.0.0": { files: { "ok.txt": "fine" } } } });
    symlinkSync("../../../../../../etc/passwd", path.join(root, "evil/1.0.0/files/passwd"));
    await expectRefused(["--source", root], /symlink to "[./]+etc\/passwd" leaves the template/);
  });

  it("a template symlink that stays inside is reproduced as a symlink", async () => {
    const root = makeSource({ evil: { "1.0.0": { files: { "docs/real.md": "real", "shared/readme.txt": "r" } } } });
    mkdirSync(path.join(root, "evil/1.0.0/files/links"));
    symlinkSync("../docs/real.md", path.join(root, "evil/1.0.0/files/links/alias.md"));
    const w = world();
    const result = await runCli(["new", "evil", w.target, "--source", root, "--no-git"]);
    expect(result.exitCode, result.stderr).toBe(0);
    const link = path.join(w.target, "links/alias.md");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe("../docs/real.md");
  });
});

describe("hostile manifests", () => {
  it.each([
    ["a huge manifest", "name: evil\nversion: 1.0.0\ndescription: d\nchangelog: |\n" + "  x\n".repeat(600_000), /larger than 1024 KiB/],
    ["deep nesting", "name: evil\nversion: 1.0.0\ndescription: d\nchecks: " + "[".repeat(5000) + "]".repeat(5000) + "\n", /nest(ed|ing)/],
    ["the wrong type", "name: evil\nversion: 1.0.0\ndescription: d\nquestions: {name: x}\n", /questions: .*expected array/i],
    ["not YAML at all", "\u0000\u0001\u0002 {{{ ::: ]]]", /template\.yaml/],
    ["an unknown key", "name: evil\nversion: 1.0.0\ndescription: d\npostInstall: rm -rf /\n", /unknown key "postInstall"/],
    [
      "a bad when",
      "name: evil\nversion: 1.0.0\ndescription: d\nquestions:\n  - {name: a, type: input, message: A, when: 'a ==='}\n",
      /questions\.a\.when/,
    ],
  ])("%s is refused with the file named", async (_what, manifest, message) => {
    const src = source({ manifest, files: { "a.txt": "a" } });
    await expectRefused(["--source", src], message);
  });

  it("an undefined variable is an error naming the file, line and variable, not an empty string", async () => {
    const src = source({ manifest: nameQuestion, files: { "config/app.yaml": "name: {{name}}\nowner: {{owner}}\n" } });
    await expectRefused(["--source", src, "--set", "name=x"], /files\/config\/app\.yaml:2: \{\{owner\}\} is not defined/);
  });

  it("prototype access stays blocked (no code runs, nothing leaks)", async () => {
    const payload =
      "{{#with (lookup this 'constructor')}}{{#with (lookup this 'constructor')}}{{this 'return process'}}{{/with}}{{/with}}[{{constructor}}]";
    const src = source({ manifest: nameQuestion, files: { "p.txt": payload } });
    const w = world();
    const before = snapshotDir(w.root);
    const result = await runCli(["new", "evil", w.target, "--source", src, "--set", "name=x", "--no-git"]);
    expect([0, 2]).toContain(result.exitCode);
    expect(result.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    if (result.exitCode === 0) expect(readdirSync(w.target)).toContain("p.txt");
    else expect(snapshotDir(w.root)).toEqual(before);
  });
});

describe("hostile answers files", () => {
  it.each([
    ["huge", "description: " + "x".repeat(1_100_000) + "\n", /larger than 1024 KiB/],
    ["deeply nested", "a: " + "[".repeat(3000) + "]".repeat(3000), /nest(ed|ing)/],
    ["a list", "- a\n- b\n", /expected record/i],
    ["an object value", "name: {a: 1}\n", /name/],
  ])("an answers file that is %s is refused", async (_what, text, message) => {
    const src = source({ manifest: nameQuestion, files: { "a.txt": "{{name}}" } });
    const answers = writeFiles(tempDir(), { "answers.yml": text });
    await expectRefused(["--source", src, "--answers-file", path.join(answers, "answers.yml")], message);
  });
});

describe("hooks", () => {
  it("run without a shell unless asked: metacharacters stay literal", async () => {
    const src = source({ files: { "a.txt": "a" }, manifest: { hooks: { postCreate: ["touch literal;name $(touch pwned)"] } } });
    const w = world();
    const result = await runCli(["new", "evil", w.target, "--source", src, "--trust", "--no-git"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(path.join(w.target, "literal;name"))).toBe(true);
    expect(existsSync(path.join(w.target, "$(touch"))).toBe(true);
    expect(existsSync(path.join(w.target, "pwned"))).toBe(false);
  });

  it("are killed after their timeout; the run fails and leaves nothing", async () => {
    const src = source({ files: { "a.txt": "a" }, manifest: { hooks: { postCreate: [{ run: "sleep 30", timeout: 1 }] } } });
    await expectRefused(["--source", src, "--trust", "--no-git"], /hook `sleep 30` did not finish within 1 s/, 1);
  });

  it("from an untrusted source list the commands and run nothing", async () => {
    const marker = path.join(tempDir(), "ran");
    const src = source({ files: { "a.txt": "a" }, manifest: { hooks: { postCreate: [`touch ${marker}`] } } });
    await expectRefused(["--source", src], new RegExp(`would run commands:\\n  touch ${marker.replace(/[/]/g, "\\/")}`));
    expect(existsSync(marker)).toBe(false);
  });
});

/** Mount a small tmpfs (root only); returns undefined where mounting is not allowed. */
async function mountTmpfs(options: string): Promise<string | undefined> {
  const dir = tempDir("paved-mnt-");
  const result = await execa("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { reject: false });
  return result.exitCode === 0 ? dir : undefined;
}

describe("faults", () => {
  it("a full disk fails cleanly: exit 2, a clear message, nothing left", async (ctx) => {
    const mnt = await mountTmpfs("size=48k");
    if (!mnt) return ctx.skip("cannot mount a tmpfs here (needs root): full-disk case not run");
    try {
      writeFileSync(path.join(mnt, "keep.txt"), "keep");
      const before = snapshotDir(mnt);
      const result = await runCli(["new", "service", path.join(mnt, "svc"), "--set", "owner=team-a", "--no-install"]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/no space left on the device \(ENOSPC\)/);
      expect(snapshotDir(mnt)).toEqual(before);
    } finally {
      await execa("umount", [mnt], { reject: false });
    }
  });

  it("a read-only target fails cleanly", async (ctx) => {
    const mnt = await mountTmpfs("ro,size=1m");
    if (!mnt) return ctx.skip("cannot mount a tmpfs here (needs root): read-only case not run");
    try {
      const result = await runCli(["new", "service", path.join(mnt, "svc"), "--set", "owner=team-a", "--no-install"]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/the file system is read-only \(EROFS\)/);
      expect(readdirSync(mnt)).toEqual([]);
    } finally {
      await execa("umount", [mnt], { reject: false });
    }
  });
});
