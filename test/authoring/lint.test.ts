import { symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { lintTemplate, type LintFinding } from "../../src/authoring/lint.js";
import { UserError } from "../../src/errors.js";
import { git, tempDir, writeFiles } from "../helpers.js";

const GOOD_MANIFEST = `name: worker
version: 1.0.0
description: A worker
questions:
  - name: name
    type: input
    message: Name
    default: "{{paved.dirName}}"
  - name: owner
    type: input
    message: Owner
    required: true
  - name: queue
    type: confirm
    message: Queue?
    default: false
  - name: queueName
    type: input
    message: Queue name
    when: queue
    default: "{{name}}-jobs"
files:
  when:
    "queue/**": queue
  managed: [CODEOWNERS]
  copy: ["assets/*.bin"]
examples:
  - name: plain
    answers: { owner: team-a }
  - name: queued
    answers: { owner: team-a, queue: true }
`;

const GOOD_FILES = {
  "files/README.md": "# {{name}}\n\nOwner: {{owner}}\n",
  "files/CODEOWNERS": "* @{{owner}}\n",
  "files/queue/{{queueName}}.yaml": "queue: {{queueName}}\n",
  "files/assets/logo.bin": "{{not rendered}}",
};

function templateDir(manifest = GOOD_MANIFEST, files: Record<string, string> = GOOD_FILES): string {
  return writeFiles(path.join(tempDir(), "worker"), { "template.yaml": manifest, ...files });
}

function rules(findings: LintFinding[]): string[] {
  return findings.map((f) => f.rule);
}

describe("paved template lint", () => {
  it("finds nothing in a clean template and renders the defaults only when they are complete", async () => {
    const result = await lintTemplate(templateDir());
    expect(result.findings).toEqual([]);
    expect(result.rendered).toEqual(["plain", "queued"]);
    const withDefault = await lintTemplate(templateDir(GOOD_MANIFEST.replace("    required: true\n", "    default: team-x\n")));
    expect(withDefault.rendered).toEqual(["defaults", "plain", "queued"]);
  });

  it("manifest/valid: names the field and its line", async () => {
    const result = await lintTemplate(
      templateDir(
        GOOD_MANIFEST.replace("    type: confirm\n", "    type: checkbox\n").replace(
          "description: A worker\n",
          "description: A worker\ncolour: blue\n",
        ),
      ),
    );
    expect(rules(result.findings)).toEqual(["manifest/valid", "manifest/valid"]);
    const byMessage = Object.fromEntries(result.findings.map((f) => [f.message.split(":")[0], f.line]));
    expect(byMessage["questions[2].type"]).toBe(15);
    expect(result.findings.some((f) => /unknown key "colour"/.test(f.message))).toBe(true);
  });

  // Checked statically (every branch, whatever the examples render), so findings carry a column and name no answer set.
  it("render/undefined-variable: names file, line, column and variable", async () => {
    const result = await lintTemplate(
      templateDir(GOOD_MANIFEST, {
        ...GOOD_FILES,
        "files/src/main.ts": "// {{name}}\nconst team = '{{owner}}';\nconst q = '{{queueNmae}}';\n",
      }),
    );
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({ rule: "render/undefined-variable", file: "files/src/main.ts", line: 3, column: 14 });
    expect(result.findings[0]!.message).toBe("{{queueNmae}} is not defined");
  });

  it("render/undefined-variable: in a file only one example renders too", async () => {
    const result = await lintTemplate(
      templateDir(GOOD_MANIFEST, { ...GOOD_FILES, "files/queue/worker.ts": "\n\nexport const q = '{{queue_name}}';\n" }),
    );
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      rule: "render/undefined-variable",
      file: "files/queue/worker.ts",
      line: 3,
      column: 21,
      message: "{{queue_name}} is not defined",
    });
  });

  it("render/undefined-variable: in nextSteps too", async () => {
    const result = await lintTemplate(templateDir(GOOD_MANIFEST.concat("nextSteps:\n  - cd {{name}}\n  - open {{url}}\n")));
    expect(result.findings).toEqual([
      expect.objectContaining({
        rule: "render/undefined-variable",
        file: "template.yaml",
        line: 34,
        column: 12,
        message: "nextSteps[1]: {{url}} is not defined",
      }),
    ]);
  });

  it("render/error: broken Handlebars syntax", async () => {
    const result = await lintTemplate(templateDir(GOOD_MANIFEST, { ...GOOD_FILES, "files/broken.md": "{{#if queue}}\nunclosed\n" }));
    expect(rules(result.findings)).toEqual(["render/error"]);
    expect(result.findings[0]!.file).toBe("files/broken.md");
  });

  it("examples/answers: an example whose answers are invalid", async () => {
    const result = await lintTemplate(
      templateDir(GOOD_MANIFEST.replace("answers: { owner: team-a, queue: true }", "answers: { owner: team-a, queue: maybe }")),
    );
    expect(rules(result.findings)).toEqual(["examples/answers"]);
    expect(result.findings[0]!.message).toMatch(/examples\[1\] \(queued\)/);
    expect(result.findings[0]!.line).toBe(31);
  });

  it("examples/answers: a default that fails its own pattern", async () => {
    const manifest = GOOD_MANIFEST.replace("    required: true\n", '    default: Team A\n    pattern: "^[a-z-]+$"\n');
    const result = await lintTemplate(templateDir(manifest));
    expect(rules(result.findings)).toEqual(["examples/answers"]);
    expect(result.findings[0]!.message).toMatch(/^the defaults: .*owner/);
  });

  it("examples/missing: required answers without defaults or examples", async () => {
    const manifest = GOOD_MANIFEST.slice(0, GOOD_MANIFEST.indexOf("examples:"));
    const result = await lintTemplate(templateDir(manifest));
    expect(rules(result.findings)).toEqual(["examples/missing"]);
  });

  it("when/unknown-answer and when/syntax: in questions, files and checks", async () => {
    const manifest = GOOD_MANIFEST.replace("    when: queue\n", "    when: queue && later\n")
      .replace('"queue/**": queue', '"queue/**": queu == true\n    "README.md": "owner =="')
      .concat(
        "checks:\n  - id: worker/readme\n    type: file-exists\n    file: README.md\n    message: has a readme\n    when: tier < 2\n",
      );
    const result = await lintTemplate(templateDir(manifest));
    const when = result.findings.filter((f) => f.rule.startsWith("when/"));
    expect(when.map((f) => [f.rule, f.message.split(":")[0]])).toEqual([
      ["when/unknown-answer", "questions[3].when"],
      ["when/unknown-answer", 'files.when["queue/**"]'],
      ["when/syntax", 'files.when["README.md"]'],
      ["when/unknown-answer", "checks[0].when"],
    ]);
    expect(when[0]!.message).toContain('"later" is not an earlier question');
    expect(when[0]!.line).toBe(20);
  });

  it("files/glob-unmatched: managed, copy and when globs that match nothing", async () => {
    const manifest = GOOD_MANIFEST.replace("managed: [CODEOWNERS]", "managed: [CODEOWNERS, .github/CODEOWNERS]")
      .replace('copy: ["assets/*.bin"]', 'copy: ["asset/*.bin"]')
      .replace('"queue/**": queue', '"queue/**": queue\n    "worker/**": queue');
    const result = await lintTemplate(templateDir(manifest));
    // With its copy glob mistyped, assets/logo.bin is rendered: its {{not rendered}} reads an undefined name.
    expect(result.findings[0]).toMatchObject({ rule: "render/undefined-variable", file: "files/assets/logo.bin", line: 1, column: 7 });
    expect(result.findings.slice(1).map((f) => f.message)).toEqual([
      'files.managed: ".github/CODEOWNERS" matches no file under files/',
      'files.copy: "asset/*.bin" matches no file under files/',
      'files.when: "worker/**" matches no file under files/',
    ]);
    expect(rules(result.findings.slice(1))).toEqual(["files/glob-unmatched", "files/glob-unmatched", "files/glob-unmatched"]);
  });

  it("render/unsafe-path: a rendered path or a symlink that leaves the target", async () => {
    const dir = templateDir(GOOD_MANIFEST.replace("answers: { owner: team-a }", "answers: { owner: team-a, name: '..' }"), {
      ...GOOD_FILES,
      "files/{{name}}/config.yaml": "a: 1\n",
    });
    symlinkSync("../../etc/passwd", path.join(dir, "files", "passwd"));
    const result = await lintTemplate(dir);
    expect(rules(result.findings)).toEqual(["render/unsafe-path", "render/unsafe-path"]);
    expect(result.findings.map((f) => f.file).sort()).toEqual(["files/passwd", "files/{{name}}/config.yaml"]);
  });

  it("manifest/location: folder names in a <name>/<version>/ layout", async () => {
    const dir = writeFiles(path.join(tempDir(), "workers", "1.1.0"), { "template.yaml": GOOD_MANIFEST, ...GOOD_FILES });
    const result = await lintTemplate(dir);
    expect(result.findings.map((f) => f.message)).toEqual([
      "version is 1.0.0 but the folder is 1.1.0",
      "name is worker but the folder is workers",
    ]);
  });

  it("version/not-above-previous and version/tag-mismatch: checked against the repository's tags", async () => {
    const dir = templateDir();
    await git(dir, ["init", "-q", "-b", "main"]);
    await git(dir, ["add", "-A"]);
    await git(dir, ["commit", "-qm", "1.0.0"]);
    await git(dir, ["tag", "v1.0.0"]);
    expect((await lintTemplate(dir)).findings).toEqual([]);

    writeFiles(dir, { "files/README.md": "# {{name}}\n\nChanged.\n" });
    let result = await lintTemplate(dir);
    expect(rules(result.findings)).toEqual(["version/not-above-previous"]);
    expect(result.findings[0]!.message).toMatch(/1\.0\.0 is already released \(tag v1\.0\.0\)/);

    await git(dir, ["commit", "-qam", "change"]);
    await git(dir, ["tag", "v1.2.0"]);
    writeFiles(dir, { "template.yaml": GOOD_MANIFEST.replace("version: 1.0.0", "version: 1.1.0") });
    result = await lintTemplate(dir);
    expect(rules(result.findings)).toEqual(["version/tag-mismatch", "version/not-above-previous"]);
    expect(result.findings[0]!.message).toBe("tag v1.2.0 holds version 1.0.0, not 1.2.0");
    expect(result.findings[1]!.message).toBe("version 1.1.0 is not above the newest release 1.2.0");
  });

  it("refuses a directory without template.yaml as unusable", async () => {
    await expect(lintTemplate(tempDir())).rejects.toBeInstanceOf(UserError);
    await expect(lintTemplate(path.join(tempDir(), "missing"))).rejects.toThrow(/no such directory/);
  });
});

describe("paved template lint: static references in every branch", () => {
  const QUESTIONS_PLUS = GOOD_MANIFEST.replace(
    "files:\n",
    "  - name: features\n    type: multiselect\n    message: Features\n    choices: [metrics, tracing]\n    default: []\nfiles:\n",
  );

  it("finds typos no example renders: an #if argument, a hook, a path and inside #each, at exact positions", async () => {
    const manifest = QUESTIONS_PLUS.concat('hooks:\n  postCreate:\n    - "echo {{ownr}}"\n    - run: [git, tag, "{{paved.versoin}}"]\n');
    const result = await lintTemplate(
      templateDir(manifest, {
        ...GOOD_FILES,
        "files/README.md": "# {{name}}\n{{#if queue}}\nqueued\n{{else}}\n  {{#if nmae}}named{{/if}}\n{{/if}}\n",
        "files/src/{{#if queue}}{{queueNmae}}{{/if}}.ts": "export {};\n",
        "files/FEATURES.md": "{{#each features as |feature|}}\n- {{feature}} of {{../name}} ({{@index}}) for {{onwer}}\n{{/each}}\n",
      }),
    );
    const shown = result.findings.map((f) => [f.rule, f.file, f.line, f.column, f.message]);
    expect(shown).toEqual(
      expect.arrayContaining([
        ["render/undefined-variable", "files/README.md", 5, 9, "{{nmae}} is not defined"],
        [
          "render/undefined-variable",
          "files/src/{{#if queue}}{{queueNmae}}{{/if}}.ts",
          1,
          26,
          "in the file's path: {{queueNmae}} is not defined",
        ],
        ["render/undefined-variable", "files/FEATURES.md", 2, 49, "{{onwer}} is not defined"],
        ["render/undefined-variable", "template.yaml", 39, 15, "hooks.postCreate[0]: {{ownr}} is not defined"],
        ["render/undefined-variable", "template.yaml", 40, 26, "hooks.postCreate[1].run[2]: {{paved.versoin}} is not defined"],
      ]),
    );
    expect(shown).toHaveLength(5);
  });

  it("a correct template with block params, this, ../ and @index is clean", async () => {
    const result = await lintTemplate(
      templateDir(QUESTIONS_PLUS, {
        ...GOOD_FILES,
        "files/FEATURES.md":
          '{{#each features as |feature i|}}{{i}} {{kebab feature}} {{this}} {{@index}} {{../name}} {{@root.owner}}{{else}}none{{/each}}\n{{#with paved}}{{version}} {{../name}}{{/with}}\n{{#if (and queue (includes features "metrics"))}}{{upper queueName}}{{/if}}\n',
      }),
    );
    expect(result.findings).toEqual([]);
  });

  it("refuses {{log}} and unknown helpers in any branch", async () => {
    const result = await lintTemplate(
      templateDir(GOOD_MANIFEST, { ...GOOD_FILES, "files/x.md": "{{#if queue}}{{log name}}{{else}}{{titlecase name}}{{/if}}\n" }),
    );
    expect(result.findings.map((f) => [f.rule, f.line, f.column])).toEqual([
      ["render/log-refused", 1, 16],
      ["render/unknown-helper", 1, 36],
    ]);
  });

  it("every built-in template version lints clean", async () => {
    const root = path.resolve("templates/service");
    const { readdirSync } = await import("node:fs");
    // Version folders only: templates/service also holds README.md and versions.lock.json.
    for (const version of readdirSync(root).filter((v) => /^\d+\.\d+\.\d+/.test(v))) {
      const result = await lintTemplate(path.join(root, version));
      expect({ version, findings: result.findings }).toEqual({ version, findings: [] });
    }
  });
});

describe("paved template lint: question defaults", () => {
  it("a default may read earlier answers and paved.*, not later ones; positions follow the YAML quoting", async () => {
    const manifest = GOOD_MANIFEST.replace('    default: "{{paved.dirName}}"\n', '    default: "{{paved.dirName}}-{{owner}}"\n');
    const result = await lintTemplate(templateDir(manifest));
    const statics = result.findings.filter((f) => f.rule === "render/undefined-variable");
    expect(statics).toEqual([
      expect.objectContaining({
        file: "template.yaml",
        line: 8,
        column: 35,
        message: "questions[0].default: {{owner}} is not defined",
        hint: expect.stringContaining("earlier questions"),
      }),
    ]);
  });
});

describe("paved template lint: test commands", () => {
  it("are checked like hooks (paved upgrade --verify renders them)", async () => {
    const result = await lintTemplate(templateDir(GOOD_MANIFEST.concat("test:\n  - npm test -- {{nmae}}\n")));
    expect(result.findings).toEqual([
      expect.objectContaining({
        rule: "render/undefined-variable",
        file: "template.yaml",
        line: 33,
        column: 19,
        message: "test[0]: {{nmae}} is not defined",
      }),
    ]);
  });
});
