import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { listFiles, ROOT, snapshotDir, tempDir, writeFiles } from "../helpers.js";
import { makeSource } from "../template-fixtures.js";

// The library API as a consumer loads it: through package.json "exports" into the built dist/.
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  exports: Record<string, { default: string; types: string }>;
};
const api = (await import(pathToFileURL(path.join(ROOT, pkg.exports["."]!.default)).href)) as typeof import("../../src/api.js");

describe("createService (the library API)", () => {
  it("renders the built-in service template into a new directory with .paved.yml, and runs no git or hooks", async () => {
    const target = path.join(tempDir(), "payments-api");
    const result = await api.createService({
      template: "service",
      answers: { owner: "team-payments", port: "9090", description: undefined, tier: null },
      targetDir: target,
    });
    expect(result).toMatchObject({ template: "service", source: "builtin", targetDir: target, dryRun: false });
    expect(result.files).toEqual(listFiles(target));
    expect(result.files).toContain(".paved.yml");
    expect(result.skippedHooks.length).toBeGreaterThan(0);
    const recorded = yaml.load(readFileSync(path.join(target, ".paved.yml"), "utf8")) as {
      template: string;
      version: string;
      answers: Record<string, unknown>;
    };
    expect(recorded).toMatchObject({
      template: "service",
      version: result.version,
      answers: { name: "payments-api", owner: "team-payments", port: 9090 },
    });
    expect(result.answers).toEqual(recorded.answers);
    const catalog = yaml.load(readFileSync(path.join(target, "catalog-info.yaml"), "utf8")) as {
      metadata: { annotations: Record<string, string> };
    };
    expect(catalog.metadata.annotations).toMatchObject({ "paved.dev/template": "service", "paved.dev/template-version": result.version });
    expect(listFiles(target).some((f) => f.startsWith("node_modules/"))).toBe(false);
  });

  it("dryRun lists the files and writes nothing", async () => {
    const target = path.join(tempDir(), "svc");
    const result = await api.createService({ template: "service", answers: { owner: "team-a" }, targetDir: target, dryRun: true });
    expect(result.files).toContain("catalog-info.yaml");
    expect(() => readFileSync(path.join(target, ".paved.yml"))).toThrow();
  });

  it("refuses a non-empty target as a UserError and writes nothing", async () => {
    const world = writeFiles(tempDir(), { "svc/keep.txt": "mine\n" });
    const before = snapshotDir(world);
    const error = await api
      .createService({ template: "service", answers: { owner: "team-a" }, targetDir: path.join(world, "svc") })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(api.UserError);
    expect((error as Error).message).toMatch(/is not empty$/);
    expect(snapshotDir(world)).toEqual(before);
  });

  it("an invalid answer is a UserError naming the question in its fields, and nothing is written", async () => {
    const world = tempDir();
    const error = (await api
      .createService({ template: "service", answers: { name: "Not_Valid", owner: "team-a" }, targetDir: path.join(world, "svc") })
      .catch((e: unknown) => e)) as InstanceType<typeof api.UserError>;
    expect(error).toBeInstanceOf(api.UserError);
    expect(error.code).toBe("invalid-answer");
    expect(error.fields.variable).toBe("name");
    expect(snapshotDir(world)).toEqual({});
  });

  it("a missing required answer and a bad option are UserErrors with a code", async () => {
    const world = tempDir();
    const missing = (await api
      .createService({ template: "service", answers: { name: "svc-a" }, targetDir: path.join(world, "svc") })
      .catch((e: unknown) => e)) as InstanceType<typeof api.UserError>;
    expect(missing).toMatchObject({ code: "missing-answer", fields: { variable: "owner" } });
    const bad = (await api.createService({ template: "service", targetDir: 42 } as never).catch((e: unknown) => e)) as InstanceType<
      typeof api.UserError
    >;
    expect(bad).toBeInstanceOf(api.UserError);
    expect(bad).toMatchObject({ code: "option", fields: { flag: "targetDir" } });
    expect(snapshotDir(world)).toEqual({});
  });

  describe("lockfile: the template's lockfile command, for CI's npm ci", () => {
    const source = () =>
      makeSource({
        locked: {
          "1.0.0": {
            manifest: {
              lockfile: {
                command: `node -e "require('fs').writeFileSync('lock.json', '{}')"`,
                files: ["lock.json"],
                inputs: ["package.json"],
              },
            },
            files: { "package.json": "{}\n" },
          },
        },
      });

    it("runs it in the new service when asked and the source is trusted, and lists the file", async () => {
      const target = path.join(tempDir(), "svc");
      const result = await api.createService({ template: "locked", source: source(), targetDir: target, lockfile: true, trust: true });
      expect(result.lockfile).toEqual({ created: ["lock.json"], missing: [] });
      expect(result.files).toEqual(["lock.json", ".paved.yml", "package.json"].sort());
      expect(listFiles(target)).toEqual(result.files);
    });

    it("refuses an untrusted source's command without trust, and writes nothing", async () => {
      const world = tempDir();
      const error = await api
        .createService({ template: "locked", source: source(), targetDir: path.join(world, "svc"), lockfile: true })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(api.UserError);
      expect((error as Error).message).toMatch(/would run commands/);
      expect(snapshotDir(world)).toEqual({});
    });

    it("does not run it unless asked", async () => {
      const target = path.join(tempDir(), "svc");
      const result = await api.createService({ template: "locked", source: source(), targetDir: target });
      expect(result.lockfile).toBeNull();
      expect(listFiles(target)).toEqual([".paved.yml", "package.json"]);
    });
  });
});
