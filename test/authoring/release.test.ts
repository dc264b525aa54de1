import { chmodSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { digestVersionTree, lockDrift, nextManifest, readReleaseLock, versionFolders } from "../../src/authoring/release.js";
import { readTree } from "../../src/fs/read-tree.js";
import { BUILTIN_TEMPLATES, runCli, snapshotDir, tempDir, writeFiles } from "../helpers.js";

const STACK = /\n\s+at .*\.js:\d+/;

const manifest = (version: string, extra = "") => `# the worker template: keep this comment
name: worker
version: ${version}
description: A worker
released: 2026-01-02
changelog: |
  Everything about ${version}.
actions:
  - "Do the thing for ${version}."
questions:
  - name: name
    type: input
    message: Name
    default: "{{paved.dirName}}"
examples:
  - name: plain
    answers: { name: my-worker }   # spaced flow map stays as written
test: [ "true" ]
${extra}`;

const MIGRATIONS = `migrations:
  - rename: { from: a.md, to: b.md }
`;

function versionsDir(): string {
  const root = tempDir();
  const dir = path.join(root, "worker");
  writeFiles(dir, {
    "1.0.0/template.yaml": manifest("1.0.0"),
    "1.0.0/files/README.md": "# {{name}}\n",
    "1.1.0/template.yaml": manifest("1.1.0", MIGRATIONS),
    "1.1.0/files/README.md": "# {{name}} v1.1\n",
    "1.1.0/files/run.sh": "#!/bin/sh\necho run\n",
  });
  chmodSync(path.join(dir, "1.1.0/files/run.sh"), 0o755);
  symlinkSync("README.md", path.join(dir, "1.1.0/files/LINK.md"));
  return dir;
}

describe("paved template release", () => {
  it("copies the latest version, sets version and released, empties changelog/actions/migrations and locks the released versions", async () => {
    const dir = versionsDir();
    const result = await runCli(["template", "release", dir, "1.2.0", "--date", "2026-12-01", "--json"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: true,
      version: "1.2.0",
      from: "1.1.0",
      released: "2026-12-01",
      newlyLocked: ["1.0.0", "1.1.0"],
    });
    const text = readFileSync(path.join(dir, "1.2.0/template.yaml"), "utf8");
    const data = parse(text) as Record<string, unknown>;
    expect(data).toMatchObject({ version: "1.2.0", released: "2026-12-01", changelog: "", actions: [], migrations: [] });
    // Everything else is byte for byte the previous manifest: comments, flow styles, quoting.
    const previous = readFileSync(path.join(dir, "1.1.0/template.yaml"), "utf8");
    const rest = (t: string) => t.split("\n").filter((l) => !/^(version|released|changelog|actions|migrations):|^  [-A-Z ]/.test(l));
    expect(rest(text)).toEqual(rest(previous));
    expect(text).toContain("# the worker template: keep this comment");
    expect(text).toContain("answers: { name: my-worker }   # spaced flow map stays as written");
    // The files are a copy: modes and symlinks included.
    const copied = await readTree(path.join(dir, "1.2.0"));
    const source = await readTree(path.join(dir, "1.1.0"));
    expect(copied.get("files/LINK.md")?.symlink).toBe("README.md");
    expect(copied.get("files/run.sh")?.mode).toBe(0o755);
    expect(digestVersionTree(copied).files["files/README.md"]).toBe(digestVersionTree(source).files["files/README.md"]);
    const lock = readReleaseLock(dir)!;
    expect(Object.keys(lock.versions)).toEqual(["1.0.0", "1.1.0"]);
    expect(lock.versions["1.1.0"]!.digest).toBe(digestVersionTree(source).digest);
    expect(versionFolders(dir)).toEqual(["1.0.0", "1.1.0", "1.2.0"]);

    // The next release locks 1.2.0 and keeps the others.
    const next = await runCli(["template", "release", dir, "2.0.0", "--json"]);
    expect(next.exitCode, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ newlyLocked: ["1.2.0"], locked: ["1.0.0", "1.1.0", "1.2.0"] });
    expect(JSON.parse(next.stdout).released).toBe(new Date().toISOString().slice(0, 10));
  });

  const refusals: Array<[string, (dir: string) => string[], RegExp]> = [
    ["an existing version", (dir) => [dir, "1.0.0"], /^error: .*version 1\.0\.0 exists already$/m],
    ["a version not above the latest", (dir) => [dir, "1.0.5"], /^error: version 1\.0\.5 is not above the latest version 1\.1\.0$/m],
    ["a version that is not semver", (dir) => [dir, "v1.2"], /^error: "v1\.2" is not a version$/m],
    ["a bad date", (dir) => [dir, "1.2.0", "--date", "2026-02-30"], /^error: --date 2026-02-30 is not a date$/m],
    ["a directory without versions", (dir) => [path.join(dir, "1.0.0", "files"), "1.2.0"], /^error: .*no version folders/m],
  ];
  for (const [what, args, message] of refusals) {
    it(`refuses ${what} (exit 2, nothing written)`, async () => {
      const dir = versionsDir();
      const before = snapshotDir(dir);
      const result = await runCli(["template", "release", ...args(dir)]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/^fix: /m);
      expect(result.stderr).not.toMatch(STACK);
      expect(snapshotDir(dir)).toEqual(before);
    });
  }

  it("a refusal located in a file or folder gives it as fields.file with --json; the one line is built from it", async () => {
    const dir = versionsDir();
    const empty = path.join(dir, "1.0.0", "files");
    writeFiles(dir, { "versions.lock.json": "{ not json" });
    const cases: Array<[string[], string, RegExp]> = [
      [[dir, "1.0.0"], dir, /^version 1\.0\.0 exists already$/],
      [[empty, "1.2.0"], empty, /^no version folders /],
      [[dir, "1.2.0"], path.join(dir, "versions.lock.json"), /^not valid JSON /],
    ];
    for (const [args, file, reason] of cases) {
      const before = snapshotDir(dir);
      const json = await runCli(["template", "release", ...args, "--json"]);
      expect(json.exitCode, json.stdout).toBe(2);
      const { error } = JSON.parse(json.stdout);
      expect(error.fields).toEqual({ file });
      expect(error.message.startsWith(`${file}: `)).toBe(true);
      expect(error.message.slice(file.length + 2)).toMatch(reason);
      const human = await runCli(["template", "release", ...args]);
      expect(human.stderr.split("\n")[0]).toBe(`error: ${error.message}`);
      expect(human.stderr).not.toMatch(STACK);
      expect(snapshotDir(dir)).toEqual(before);
    }
  });

  it("refuses to release on top of a locked version that changed, naming the file", async () => {
    const dir = versionsDir();
    expect((await runCli(["template", "release", dir, "1.2.0"])).exitCode).toBe(0);
    writeFiles(dir, { "1.0.0/files/README.md": "# edited after release\n" });
    const before = snapshotDir(dir);
    const result = await runCli(["template", "release", dir, "1.3.0"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /^error: released version 1\.0\.0 changed since it was locked: files\/README\.md; not releasing on top of it$/m,
    );
    expect(result.stderr).not.toMatch(STACK);
    expect(snapshotDir(dir)).toEqual(before);
  });
});

describe("paved template lint and the release lock", () => {
  it("fails when a locked version changed (naming each changed, added or removed file) and warns on repeated migrations", async () => {
    const dir = versionsDir();
    expect((await runCli(["template", "release", dir, "1.2.0"])).exitCode).toBe(0);
    const clean = await runCli(["template", "lint", path.join(dir, "1.2.0")]);
    expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);

    writeFiles(dir, { "1.1.0/files/README.md": "# changed\n", "1.1.0/files/NEW.md": "new\n" });
    rmSync(path.join(dir, "1.0.0/files/README.md"));
    const result = await runCli(["template", "lint", path.join(dir, "1.2.0"), "--json"]);
    expect(result.exitCode).toBe(1);
    const findings = (JSON.parse(result.stdout) as { findings: Array<{ rule: string; file: string }> }).findings.filter(
      (f) => f.rule === "release/locked-changed",
    );
    expect(findings.map((f) => f.file).sort()).toEqual(["../1.0.0/files/README.md", "../1.1.0/files/NEW.md", "../1.1.0/files/README.md"]);

    // A mode change alone is a change too.
    const modeOnly = versionsDir();
    expect((await runCli(["template", "release", modeOnly, "1.2.0"])).exitCode).toBe(0);
    chmodSync(path.join(modeOnly, "1.1.0/files/run.sh"), 0o644);
    expect((await lockDrift(modeOnly, readReleaseLock(modeOnly)!)).map((d) => d.files)).toEqual([["files/run.sh"]]);
  });

  it("warns (exit 0) when a version repeats the previous version's migrations", async () => {
    const dir = versionsDir();
    writeFiles(dir, { "1.2.0/template.yaml": manifest("1.2.0", MIGRATIONS), "1.2.0/files/README.md": "x\n" });
    const result = await runCli(["template", "lint", path.join(dir, "1.2.0"), "--json"]);
    expect(result.exitCode, result.stdout).toBe(0);
    expect(JSON.parse(result.stdout).warnings).toContainEqual(
      expect.objectContaining({
        rule: "release/migrations-repeated",
        file: "template.yaml",
        message: expect.stringContaining("same as 1.1.0's"),
      }),
    );
    const text = await runCli(["template", "lint", path.join(dir, "1.2.0")]);
    expect(text.stdout).toMatch(/template\.yaml:\d+ {2}release\/migrations-repeated {2}migrations are the same as 1\.1\.0.s/);
    expect(text.stdout).toMatch(/no findings; \d+ warnings?/);
  });

  it("nextManifest adds released when the manifest had none", () => {
    const text = nextManifest("name: w\nversion: 1.0.0\nquestions: []\n", "1.1.0", "2026-12-01", "x");
    expect(parse(text)).toMatchObject({ version: "1.1.0", released: "2026-12-01" });
  });
});

describe("the built-in templates' released versions", () => {
  it("match templates/<name>/versions.lock.json (a released version never changes: release a new one)", async () => {
    const dir = path.join(BUILTIN_TEMPLATES, "service");
    const lock = readReleaseLock(dir);
    expect(lock, "templates/service/versions.lock.json is missing").toBeDefined();
    expect(Object.keys(lock!.versions)).toEqual(expect.arrayContaining(["1.0.0", "1.1.0", "2.0.0"]));
    expect(await lockDrift(dir, lock!)).toEqual([]);
  });
});
