import { describe, expect, it } from "vitest";
import type { Answers, RenderMeta } from "../../src/answers/answers.js";
import { UserError } from "../../src/errors.js";
import { compileTemplate } from "../../src/render/handlebars.js";
import { renderTemplate } from "../../src/render/render.js";
import { entryText, isExecutable } from "../../src/tree.js";
import { loadFixture, type FixtureVersion } from "../template-fixtures.js";
import { builtinCliRenderMeta } from "../../src/config.js";

const meta: RenderMeta = { template: "demo", version: "1.0.0", dirName: "x", ...builtinCliRenderMeta() };
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x7b, 0x7b, 0xff, 0xfe]);

async function render(fixture: FixtureVersion, answers: Answers) {
  return renderTemplate(await loadFixture(fixture), answers, meta);
}

describe("renderTemplate", () => {
  it("renders contents, names and folders with helpers and no HTML escaping", async () => {
    const { tree } = await render(
      {
        files: {
          "src/{{kebab name}}/{{camel name}}.ts": 'export const name = {{json name}}; // <&> "{{name}}"',
          "{{snake name}}.yaml": "title: {{yaml title}}\nversion: {{paved.version}}\n",
          "run.sh": "echo {{shell title}}\n",
        },
      },
      { name: "Payments API", title: 'a "quoted": #title' },
    );
    expect([...tree.keys()].sort()).toEqual(["payments_api.yaml", "run.sh", "src/payments-api/paymentsApi.ts"]);
    expect(entryText(tree.get("src/payments-api/paymentsApi.ts")!)).toBe('export const name = "Payments API"; // <&> "Payments API"');
    expect(entryText(tree.get("payments_api.yaml")!)).toBe('title: "a \\"quoted\\": #title"\nversion: 1.0.0\n');
    expect(entryText(tree.get("run.sh")!)).toBe("echo 'a \"quoted\": #title'\n");
  });

  it("skips a path whose rendered name is empty", async () => {
    const { tree } = await render(
      { files: { "{{#if db}}migrations{{/if}}/001.sql": "create table t();", "{{#if db}}db.ts{{/if}}": "x", "keep.txt": "k" } },
      { db: false },
    );
    expect([...tree.keys()]).toEqual(["keep.txt"]);
  });

  it("applies files.when conditions, copy globs and managed globs", async () => {
    const fixture: FixtureVersion = {
      manifest: {
        questions: [{ name: "ci", type: "select", message: "CI", choices: ["github", "gitlab"] }],
        files: {
          when: { ".github/**": 'ci == "github"', ".gitlab-ci.yml": 'ci == "gitlab"' },
          copy: [".github/workflows/*.yml"],
          managed: [".github/**", "Dockerfile"],
        },
      },
      files: {
        ".github/workflows/ci.yml": "run: ${{ matrix.node }}",
        ".gitlab-ci.yml": "stages: [test] # {{ci}}",
        Dockerfile: "FROM node:22",
      },
    };
    const github = await render(fixture, { ci: "github" });
    expect([...github.tree.keys()].sort()).toEqual([".github/workflows/ci.yml", "Dockerfile"]);
    expect(entryText(github.tree.get(".github/workflows/ci.yml")!)).toBe("run: ${{ matrix.node }}");
    expect([...github.managed].sort()).toEqual([".github/workflows/ci.yml", "Dockerfile"]);
    const gitlab = await render(fixture, { ci: "gitlab" });
    expect([...gitlab.tree.keys()].sort()).toEqual([".gitlab-ci.yml", "Dockerfile"]);
    expect(entryText(gitlab.tree.get(".gitlab-ci.yml")!)).toBe("stages: [test] # gitlab");
  });

  it("copies binary files byte for byte and keeps modes", async () => {
    const version = await loadFixture({ files: { "logo.png": PNG, "bin/run.sh": "#!/bin/sh\necho {{name}}\n" } });
    const script = version.files.get("bin/run.sh")!;
    script.mode = 0o755;
    const { tree } = renderTemplate(version, { name: "svc" }, meta);
    expect(Buffer.compare(Buffer.from(tree.get("logo.png")!.data), PNG)).toBe(0);
    expect(isExecutable(tree.get("bin/run.sh")!)).toBe(true);
    expect(entryText(tree.get("bin/run.sh")!)).toBe("#!/bin/sh\necho svc\n");
  });

  it("names the file, line and variable when a template uses an undefined value", async () => {
    const error = await render({ files: { "docs/a.md": "line 1\n{{ownr}}\n" } }, { owner: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/files\/docs\/a\.md:2: \{\{ownr\}\} is not defined/);
  });

  it("names the file on a Handlebars syntax error", async () => {
    const error = await render({ files: { "b.txt": "{{#if x}}open" } }, { x: true }).catch((e: unknown) => e);
    expect((error as UserError).message).toMatch(/files\/b\.txt: cannot render/);
  });

  it.each([["../escape.txt"], ["a/../../escape.txt"], ["/etc/passwd"], ["C:/Windows/x"], ["a\\..\\b"], [".git/hooks/post-checkout"]])(
    "refuses an answer that renders the path %j",
    async (evil) => {
      const error = await render({ files: { "{{name}}": "x" } }, { name: evil }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toContain(JSON.stringify(evil));
    },
  );

  it("refuses two files that render to the same path", async () => {
    const error = await render({ files: { "{{a}}.txt": "1", "{{b}}.txt": "2" } }, { a: "same", b: "same" }).catch((e: unknown) => e);
    expect((error as UserError).message).toMatch(/renders to same\.txt, which another template file also renders to/);
  });

  it.each(["{{constructor}}", "{{lookup this '__proto__'}}", "{{#with this}}{{constructor.name}}{{/with}}", "{{name.constructor}}"])(
    "keeps prototype access blocked: %s",
    async (source) => {
      const outcome = await render({ files: { "p.txt": `[${source}]` } }, { name: "x" }).then(
        (r) => entryText(r.tree.get("p.txt")!),
        (e: unknown) => e,
      );
      if (typeof outcome === "string") expect(outcome).toBe("[]");
      else expect(outcome).toBeInstanceOf(UserError);
    },
  );

  // Upgrade renders two or three versions that share most file texts: each text is compiled once per process.
  it("compiles a template text once and shares it across versions; every version still renders with its own values", async () => {
    const text = "# {{name}} on {{paved.version}}\n{{#if db}}db{{/if}}\n";
    expect(compileTemplate(text)).toBe(compileTemplate(`${text}`));
    const files = { "README.md": text, "same.txt": "{{name}}\n" };
    const v1 = await loadFixture({ files });
    const v2 = await loadFixture({ files });
    const one = renderTemplate(v1, { name: "a", db: true }, meta).tree;
    const two = renderTemplate(v2, { name: "b", db: false }, { ...meta, version: "2.0.0" }).tree;
    expect(entryText(one.get("README.md")!)).toBe("# a on 1.0.0\ndb\n");
    expect(entryText(two.get("README.md")!)).toBe("# b on 2.0.0\n\n");
    expect(entryText(two.get("same.txt")!)).toBe("b\n");
  });

  // What a path's bytes came to is kept for the next version (./render.ts, sourceFacts): only while they are the same bytes.
  it("a file at the same path renders from its own bytes in every version, whatever the one before held", async () => {
    const name = "src/{{snake name}}.ts";
    const versions = await Promise.all(
      [
        { [name]: "one {{name}}\n", "logo.bin": PNG, "plain.txt": "no braces\n" },
        { [name]: "two {{name}}\n", "logo.bin": Buffer.from("{{name}}\n"), "plain.txt": "{{name}} now\n" },
        { [name]: "two {{name}}\n", "logo.bin": PNG, "plain.txt": "no braces\n" },
      ].map((files) => loadFixture({ files })),
    );
    const rendered = versions.map((v, i) => renderTemplate(v, { name: i === 2 ? "other api" : "my api" }, meta).tree);
    expect(rendered.map((tree) => entryText(tree.get("src/my_api.ts") ?? tree.get("src/other_api.ts")!))).toEqual([
      "one my api\n",
      "two my api\n",
      "two other api\n",
    ]);
    expect(rendered.map((tree) => entryText(tree.get("plain.txt")!))).toEqual(["no braces\n", "my api now\n", "no braces\n"]);
    expect(Buffer.compare(rendered[0]!.get("logo.bin")!.data, PNG)).toBe(0);
    expect(entryText(rendered[1]!.get("logo.bin")!)).toBe("my api\n");
    expect(Buffer.compare(rendered[2]!.get("logo.bin")!.data, PNG)).toBe(0);
  });

  // Matchers are shared by glob and conditions by text (./render.ts, ../answers/expression.ts): each version still
  // applies its own manifest's globs and conditions.
  it("every version applies its own files.when, copy and managed, whatever the version before had", async () => {
    const files = { "db/schema.sql": "-- {{name}}\n", "a/x.txt": "{{name}}\n", "b/y.txt": "{{name}}\n" };
    const versions = await Promise.all(
      [
        { when: { "db/**": 'database == "postgres"' }, copy: ["a/**"], managed: ["b/**"] },
        { when: { "db/**": 'database == "none"' }, copy: ["b/**"], managed: ["a/**"] },
        { when: { "db/**": 'database == "postgres"' }, copy: ["a/**"], managed: ["b/**"] },
      ].map((manifestFiles) => loadFixture({ manifest: { files: manifestFiles }, files })),
    );
    const rendered = versions.map((v) => renderTemplate(v, { name: "api", database: "postgres" }, meta));
    expect(rendered.map((r) => r.tree.has("db/schema.sql"))).toEqual([true, false, true]);
    expect(rendered.map((r) => entryText(r.tree.get("a/x.txt")!))).toEqual(["{{name}}\n", "api\n", "{{name}}\n"]);
    expect(rendered.map((r) => entryText(r.tree.get("b/y.txt")!))).toEqual(["api\n", "{{name}}\n", "api\n"]);
    expect(rendered.map((r) => [...r.managed])).toEqual([["b/y.txt"], ["a/x.txt"], ["b/y.txt"]]);
  });

  it("fails the same way every time for a text that does not compile (failures are not cached)", async () => {
    const bad = { files: { "bad.txt": "{{#if x}}open" } };
    for (let i = 0; i < 2; i++) await expect(render(bad, { x: true })).rejects.toThrow(UserError);
  });
});
