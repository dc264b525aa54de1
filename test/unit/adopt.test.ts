import path from "node:path";
import { mkdirSync, symlinkSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { inferAnswers, repoReader } from "../../src/adopt/infer.js";
import { planAdoption } from "../../src/adopt/plan.js";
import { lintTemplate } from "../../src/authoring/lint.js";
import { resolveAnswers } from "../../src/answers/answers.js";
import { writeTree } from "../../src/fs/write-tree.js";
import { renderTemplate } from "../../src/render/render.js";
import { builtinSource } from "../../src/templates/source.js";
import { closeness, closest } from "../../src/adopt/score.js";
import { findDrift, workingTreeOf } from "../../src/upgrade/drift.js";
import { RepoFiles } from "../../src/doctor/repo-files.js";
import { manifestSchema, questionSchema, type Question } from "../../src/templates/manifest.js";
import { textFile, type FileTree } from "../../src/tree.js";
import { tempDir, writeFiles } from "../helpers.js";
import { makeSource } from "../template-fixtures.js";
import { builtinCliRenderMeta } from "../../src/config.js";

const question = (q: Record<string, unknown>): Question => questionSchema.parse({ message: "?", type: "input", ...q });

function repo(files: Record<string, string | null>) {
  return repoReader(new RepoFiles(writeFiles(tempDir("paved-adopt-unit-"), files)));
}

describe("inferAnswers", () => {
  it("reads JSON for .json shorthand and every YAML document otherwise, a regex's first group, and exists rules", () => {
    const files = repo({
      "package.json": '{ "name": "shop", "dependencies": { "pg": "^8" } }',
      "catalog.yaml": "kind: Group\n---\nkind: Component\nspec:\n  owner: team-shop\n",
      Dockerfile: "FROM node\nEXPOSE 9000\n",
      VERSION: "v24.1.0\n",
      "migrations/001.sql": "",
    });
    const { answers, notes } = inferAnswers(
      [
        question({ name: "name", infer: ["package.json#name"] }),
        question({ name: "owner", infer: ["catalog.yaml#spec.owner"] }),
        question({ name: "port", type: "number", infer: [{ file: "Dockerfile", regex: "^EXPOSE (\\d+)" }] }),
        question({ name: "node", infer: [{ file: "VERSION", regex: "^v\\d+" }] }),
        question({
          name: "db",
          type: "select",
          choices: ["none", "postgres"],
          infer: [{ file: "package.json", json: "dependencies.pg", value: "postgres" }],
        }),
        question({ name: "migrated", type: "confirm", infer: [{ file: "migrations", exists: true }] }),
        question({ name: "bare", type: "confirm", infer: [{ file: "Procfile", exists: false }] }),
        question({ name: "nothing", infer: [{ file: "absent.json", json: "x" }] }),
      ],
      files,
    );
    expect(Object.fromEntries([...answers].map(([k, v]) => [k, v.value]))).toEqual({
      name: "shop",
      owner: "team-shop",
      port: 9000,
      node: "v24",
      db: "postgres",
      migrated: true,
      bare: true,
    });
    expect(notes).toEqual([]);
  });

  it("reports a value the question refuses and tries the next rule; an object is no answer; a secret's value is hidden", () => {
    const files = repo({ "a.json": '{ "owner": "Team Shop", "meta": { "x": 1 }, "token": "abc" }', "b.yaml": "owner: team-shop\n" });
    const { answers, notes } = inferAnswers(
      [
        question({ name: "owner", pattern: "^team-[a-z]+$", patternHint: "must be team-<name>", infer: ["a.json#owner", "b.yaml#owner"] }),
        question({ name: "meta", infer: ["a.json#meta"] }),
        question({ name: "token", secret: true, pattern: "^x", infer: ["a.json#token"] }),
      ],
      files,
    );
    expect(answers.get("owner")).toEqual({ question: "owner", value: "team-shop", from: "b.yaml#owner" });
    expect(notes).toEqual([
      { question: "owner", rule: "a.json#owner", reason: 'found "Team Shop", which must be team-<name>' },
      { question: "meta", rule: "a.json#meta", reason: "found an object, not an answer" },
      { question: "token", rule: "a.json#token", reason: "found ***, which must match ^x" },
    ]);
  });

  it("uses the fallback rules (the latest version's) for a question without its own", () => {
    const files = repo({ "package.json": '{ "name": "shop" }' });
    const { answers } = inferAnswers([question({ name: "name" })], files, (name) => (name === "name" ? ["package.json#name"] : undefined));
    expect(answers.get("name")?.value).toBe("shop");
  });

  it("never reads through a symlink: a linked folder leaving the repository, a linked file, an exists rule on a link", () => {
    const outside = writeFiles(tempDir("paved-adopt-outside-"), { "owner.yaml": "owner: team-victim\n" });
    const root = writeFiles(tempDir("paved-adopt-unit-"), { "inside.yaml": "owner: team-inside\n" });
    symlinkSync(outside, path.join(root, "conf"));
    symlinkSync("inside.yaml", path.join(root, "link.yaml"));
    mkdirSync(path.join(root, "real"));
    const { answers, notes } = inferAnswers(
      [
        question({ name: "a", infer: ["conf/owner.yaml#owner"] }),
        question({ name: "b", infer: ["link.yaml#owner"] }),
        question({ name: "c", type: "confirm", infer: [{ file: "conf", exists: true }] }),
      ],
      repoReader(new RepoFiles(root)),
    );
    expect(answers.size).toBe(0);
    expect(notes.map((n) => n.reason)).toEqual([
      "refused: conf/owner.yaml resolves outside the service through a symlinked folder",
      "refused: link.yaml is a symlink; paved does not follow links in a repository it adopts",
      "refused: conf is a symlink; paved does not follow links in a repository it adopts",
    ]);
  });
});

describe("infer rules in template.yaml", () => {
  const manifest = (infer: unknown, type = "input") =>
    manifestSchema.safeParse({
      name: "t",
      version: "1.0.0",
      description: "t",
      questions: [{ name: "q", type, message: "Q", ...(type === "select" ? { choices: ["a"] } : {}), infer }],
    });
  const issue = (infer: unknown, type?: string) => {
    const result = manifest(infer, type);
    return result.success ? "" : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  };

  it("accepts the forms the reference documents", () => {
    expect(
      manifest(["package.json#name", { file: "Dockerfile", regex: "EXPOSE (\\d+)" }, { file: "x.yaml", yaml: "a.b", value: "v" }]).success,
    ).toBe(true);
    expect(manifest([{ file: "migrations/", exists: true, value: "a" }], "select").success).toBe(true);
  });

  it("refuses paths out of the repository, two kinds in one rule, an exists rule without its value, and backtracking-only regexes", () => {
    expect(issue(["../secrets.json#token"])).toContain('contains ".."; an infer rule reads only inside the repository');
    expect(issue([{ file: "/etc/passwd", regex: "root" }])).toContain("questions.0.infer.0.file: is absolute");
    expect(issue([{ file: ".git/config", regex: "url" }])).toContain("writes into .git");
    expect(issue([{ file: "a", json: "x", regex: "y" }])).toContain("needs exactly one of json, yaml, regex or exists (found json, regex)");
    expect(issue([{ file: "a", exists: true }], "select")).toContain(
      "questions.0.infer.0.value: an exists rule on a select question needs the value it gives",
    );
    expect(issue(["no-hash"])).toContain("must be `file#path`");
    expect(issue([{ file: "a", regex: "(?<=x)y" }])).toContain(
      "questions.0.infer.0.regex: is not a regular expression paved can run in linear time",
    );
  });
});

describe("scoring", () => {
  const tree = (files: Record<string, string>): FileTree => new Map(Object.entries(files).map(([p, t]) => [p, textFile(t)]));

  it("counts differing lines over the template's files; a missing file counts all its lines; the repository's own files do not count", () => {
    const rendered = tree({ "a.txt": "1\n2\n3\n", "b.txt": "x\ny\n", "c.txt": "same\n" });
    const ours = tree({ "a.txt": "1\nTWO\n3\n", "c.txt": "same\n", "own.txt": "anything\n" });
    expect(closeness(rendered, findDrift(rendered, ours))).toEqual({ lines: 4, files: 3, identical: 1, differing: 1, missing: 1 });
  });

  it("picks the fewest lines, and on a tie the newer version (the later candidate)", () => {
    const at = (version: string, lines: number) => ({ version, closeness: { lines, files: 1, identical: 0, differing: 1, missing: 0 } });
    expect(closest([at("1.0.0", 5), at("1.1.0", 2), at("2.0.0", 9)])?.version).toBe("1.1.0");
    expect(closest([at("1.0.0", 2), at("1.1.0", 2), at("2.0.0", 3)])?.version).toBe("1.1.0");
  });
});

describe("the service template's infer rules", () => {
  it("find every answer of every example of the latest version in its own render, which then scores 0 at that version", async () => {
    const source = builtinSource();
    const names = await source.listVersions("service");
    const versions = await Promise.all(names.map((v) => source.loadVersion("service", v)));
    const latest = versions.at(-1)!;
    expect(latest.manifest.questions.filter((q) => !q.infer).map((q) => q.name)).toEqual([]);
    expect(latest.manifest.examples.length).toBeGreaterThanOrEqual(3);
    for (const example of latest.manifest.examples) {
      const meta = { template: "service", version: latest.manifest.version, dirName: "svc", ...builtinCliRenderMeta() };
      const provided = new Map(Object.entries(example.answers).map(([k, value]) => [k, { value, origin: "answers file" as const }]));
      const { answers } = await resolveAnswers({ questions: latest.manifest.questions, provided, meta, manifestFile: "template.yaml" });
      const dir = path.join(tempDir("paved-adopt-example-"), "svc");
      mkdirSync(dir);
      await writeTree(dir, renderTemplate(latest, answers, meta).tree);
      const files = repoReader(new RepoFiles(dir));
      const plan = await planAdoption({
        template: "service",
        versions,
        latest,
        provided: new Map(),
        files,
        ours: await workingTreeOf(dir),
        dirName: "svc",
      });
      expect(plan.chosen.version.manifest.version, example.name).toBe(latest.manifest.version);
      expect(plan.chosen.closeness.lines, example.name).toBe(0);
      expect(plan.chosen.inference.notes, example.name).toEqual([]);
      expect(plan.chosen.answers, example.name).toEqual(answers);
    }
  }, 60_000);
});

describe("paved template lint: infer/round-trip", () => {
  it("warns when a rule misses or finds something else in the template's own render, not when the default is the answer", async () => {
    const root = makeSource({
      demo: {
        "1.0.0": {
          manifest: {
            questions: [
              { name: "name", type: "input", message: "Name", default: "{{paved.dirName}}", infer: ["package.json#nmae"] },
              { name: "port", type: "number", message: "Port", default: 8080, infer: [{ file: "Dockerfile", regex: "FROM node:(\\d+)" }] },
              { name: "owner", type: "input", message: "Owner", default: "team-a", infer: ["catalog.yaml#owner"] },
              {
                name: "db",
                type: "select",
                message: "DB",
                choices: ["none", "postgres"],
                default: "none",
                infer: [{ file: "migrations", exists: true, value: "postgres" }],
              },
            ],
            examples: [{ name: "shop", answers: { name: "shop", port: 9000, owner: "team-shop" } }],
          },
          files: {
            "package.json": '{ "name": "{{name}}" }\n',
            Dockerfile: "FROM node:24\nEXPOSE {{port}}\n",
            "catalog.yaml": "owner: {{owner}}\n",
          },
        },
      },
    });
    const result = await lintTemplate(path.join(root, "demo", "1.0.0"));
    expect(result.findings).toEqual([]);
    expect(result.warnings.filter((w) => w.rule === "infer/round-trip").map((w) => w.message)).toEqual([
      'questions.name.infer finds nothing in the render whose answer is "example-service" (rendering with defaults)',
      "questions.port.infer finds 24 (by Dockerfile /FROM node:(\\d+)/) in the render whose answer is 8080 (rendering with defaults)",
      'questions.name.infer finds nothing in the render whose answer is "shop" (rendering with shop)',
      "questions.port.infer finds 24 (by Dockerfile /FROM node:(\\d+)/) in the render whose answer is 9000 (rendering with shop)",
    ]);
  });
});
