import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, snapshotDir, tempDir, writeFiles } from "../helpers.js";

const MANIFEST = `name: worker
version: 1.0.0
description: A worker
questions:
  - name: name
    type: input
    message: Name
    default: worker
  - name: queue
    type: confirm
    message: Queue?
    default: false
  - name: db
    type: select
    message: Database
    choices: [none, postgres, mysql]
    default: none
files:
  when:
    "queue/**": queue
examples:
  - name: plain
    answers: { name: plain }
  - name: postgres
    answers: { name: pg, db: postgres }
`;

const FILES = {
  "files/README.md":
    '# {{name}}\n{{#if queue}}\nUses a queue.\n{{else}}\nNo queue.\n{{/if}}\n{{#if (eq db "postgres")}}\nPostgres.\n{{/if}}\n',
  "files/queue/worker.ts": "export const queue = '{{name}}';\n",
};

function template(): string {
  return writeFiles(path.join(tempDir(), "worker"), { "template.yaml": MANIFEST, ...FILES });
}

const noStack = /\n\s+at .*\.js:\d+/;

describe("paved template test --coverage", () => {
  it("counts both pins of {{paved.cliPin}} as taken: the org's cli config chooses it, no example can", async () => {
    const dir = writeFiles(path.join(tempDir(), "worker"), {
      "template.yaml": "name: worker\nversion: 1.0.0\ndescription: A worker\nquestions: []\n",
      "files/ci.yml":
        '{{#if (eq paved.cliPin "devDependency")}}\nnpx --no-install paved doctor\n{{else}}\nnpx --yes {{paved.cli}} doctor\n{{/if}}\n',
    });
    const json = JSON.parse((await runCli(["template", "test", dir, "--no-doctor", "--coverage", "--json"])).stdout);
    expect(json.coverage).toMatchObject({ covered: 2, total: 2, percent: 100 });
  });

  it("lists per file the branches, files.when outcomes and choices no example exercises", async () => {
    const dir = template();
    const result = await runCli(["template", "test", dir, "--no-doctor", "--coverage"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Coverage: 5/8 branches (62.5%) with plain, postgres");
    expect(result.stdout).toContain("  files/README.md\n    2:1  never taken: {{#if queue}}\n");
    expect(result.stdout).toContain('never taken: files.when["queue/**"] true');
    expect(result.stdout).toContain("never picked: db: mysql");
    const json = JSON.parse((await runCli(["template", "test", dir, "--no-doctor", "--coverage", "--json"])).stdout);
    expect(json.coverage).toMatchObject({ covered: 5, total: 8, percent: 62.5 });
    expect(
      json.coverage.branches.filter((b: { exercisedBy: string[] }) => b.exercisedBy.length === 0).map((b: { label: string }) => b.label),
    ).toEqual(["{{#if queue}}", 'files.when["queue/**"] true', "db: mysql"]);
  });

  it("--min-coverage fails below the percentage (exit 1) and passes at or above it", async () => {
    const dir = template();
    const below = await runCli(["template", "test", dir, "--no-doctor", "--min-coverage", "70"]);
    expect(below.exitCode).toBe(1);
    expect(below.stdout).toContain("coverage 62.5% is below --min-coverage 70%");
    expect((await runCli(["template", "test", dir, "--no-doctor", "--min-coverage", "62.5"])).exitCode).toBe(0);
  });

  it("refuses a --min-coverage that is not a percentage", async () => {
    const dir = template();
    const before = snapshotDir(dir);
    const result = await runCli(["template", "test", dir, "--no-doctor", "--min-coverage", "abc"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--min-coverage: must be a percentage from 0 to 100/);
    expect(result.stderr).not.toMatch(noStack);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it("template lint warns on the same branches without failing", async () => {
    const result = await runCli(["template", "lint", template(), "--json"]);
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.findings).toEqual([]);
    expect(
      json.warnings.map((w: { rule: string; file: string; line?: number; message: string }) => [w.rule, w.file, w.line, w.message]),
    ).toEqual([
      ["coverage/unexercised-branch", "files/README.md", 2, "no example takes {{#if queue}}"],
      ["coverage/unexercised-branch", "template.yaml", 20, 'no example takes files.when["queue/**"] true'],
      ["coverage/unexercised-branch", "template.yaml", 16, "no example picks db: mysql"],
    ]);
  });
});

describe("paved template test: test commands", () => {
  it("are rendered with each example's answers, as paved upgrade --verify renders them", async () => {
    const manifest = MANIFEST.concat(
      "test:\n  - run: [node, -e, \"process.exit(process.argv[1] === 'pg' || process.argv[1] === 'plain' ? 0 : 3)\", \"{{name}}\"]\n",
    );
    const dir = writeFiles(path.join(tempDir(), "worker"), { "template.yaml": manifest, ...FILES });
    const result = await runCli(["template", "test", dir, "--no-doctor"]);
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain("2/2 examples passed");
  });
});
