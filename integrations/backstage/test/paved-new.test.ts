import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { InputError } from "@backstage/errors";
import { createMockActionContext } from "@backstage/plugin-scaffolder-node-test-utils";
import yaml from "js-yaml";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createPavedNewAction } from "../src/index.js";

// The test utils build their mock context with jest's mock functions; vitest's have the same shape.
vi.stubGlobal("jest", vi);

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "paved-backstage-"));
  made.push(dir);
  return path.join(dir, "workspace");
}

function listFiles(root: string): string[] {
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
}

function outputs(ctx: { output: unknown }): Record<string, unknown> {
  return Object.fromEntries((ctx.output as ReturnType<typeof vi.fn>).mock.calls.map(([name, value]) => [name, value]));
}

describe("paved:new", () => {
  const action = createPavedNewAction();

  it("renders the built-in service template into the workspace, with .paved.yml and the catalog annotations", async () => {
    const workspacePath = workspace();
    const ctx = createMockActionContext({
      workspacePath,
      input: {
        template: "service",
        lockfile: false,
        values: { name: "payments-api", owner: "team-payments", database: "postgres", port: 9090 },
      },
    });
    await action.handler(ctx);

    const out = outputs(ctx);
    expect(out.template).toBe("service");
    expect(out.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(out.files).toEqual(listFiles(workspacePath));
    expect(out.files).toEqual(
      expect.arrayContaining([".paved.yml", "catalog-info.yaml", "package.json", "src/db.ts", ".github/workflows/ci.yml"]),
    );

    const recorded = yaml.load(readFileSync(path.join(workspacePath, ".paved.yml"), "utf8")) as Record<string, unknown>;
    expect(recorded).toMatchObject({
      template: "service",
      source: "builtin",
      version: out.version,
      answers: { name: "payments-api", owner: "team-payments", database: "postgres", port: 9090 },
    });
    const documents = yaml.loadAll(readFileSync(path.join(workspacePath, "catalog-info.yaml"), "utf8")) as Array<{
      kind: string;
      metadata: { name: string; annotations: Record<string, string> };
      spec: { owner: string };
    }>;
    const catalog = documents.find((d) => d.kind === "Component")!;
    expect(catalog.metadata.name).toBe("payments-api");
    expect(catalog.spec.owner).toBe("team-payments");
    expect(catalog.metadata.annotations).toMatchObject({ "paved.dev/template": "service", "paved.dev/template-version": out.version });
  });

  it("renders into targetPath inside the workspace; its folder name is the default service name", async () => {
    const workspacePath = workspace();
    const ctx = createMockActionContext({
      workspacePath,
      input: { template: "service", lockfile: false, targetPath: "services/billing-api", values: { owner: "team-billing" } },
    });
    await action.handler(ctx);
    const target = path.join(workspacePath, "services/billing-api");
    expect((yaml.load(readFileSync(path.join(target, ".paved.yml"), "utf8")) as { answers: { name: string } }).answers.name).toBe(
      "billing-api",
    );
    expect(readdirSync(workspacePath)).toEqual(["services"]);
  });

  it('a field left empty in the form ("" or null) takes the template\'s default', async () => {
    const workspacePath = workspace();
    const ctx = createMockActionContext({
      workspacePath,
      input: { template: "service", lockfile: false, values: { name: "svc-a", owner: "team-a", description: "", namespace: null } },
    });
    await action.handler(ctx);
    const recorded = yaml.load(readFileSync(path.join(workspacePath, ".paved.yml"), "utf8")) as { answers: Record<string, unknown> };
    expect(recorded.answers).toMatchObject({ description: "The svc-a service", namespace: "team-a" });
  });

  it("dry run lists the files and writes nothing", async () => {
    const workspacePath = workspace();
    // createMockActionContext leaves isDryRun out of what it copies from its options.
    const ctx = {
      ...createMockActionContext({
        workspacePath,
        input: { template: "service", lockfile: false, values: { name: "svc-a", owner: "team-a" } },
      }),
      isDryRun: true,
    };
    await action.handler(ctx);
    expect(outputs(ctx).files).toContain(".paved.yml");
    expect(() => readdirSync(workspacePath)).toThrow();
  });

  it("a wrong answer fails the step with an InputError naming the value and the fix, and writes nothing", async () => {
    const workspacePath = workspace();
    const ctx = createMockActionContext({
      workspacePath,
      input: { template: "service", lockfile: false, values: { name: "Payments API", owner: "team-a" } },
    });
    const error = await action.handler(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(
      /^paved:new \(values\.name\): .*must be lowercase letters.*; fix: correct the name field \(values\.name in the step's input\)$/,
    );
    expect(() => readdirSync(workspacePath)).toThrow();
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it("without targetPath the name must be answered: the workspace's folder name is not a service name", async () => {
    const ctx = createMockActionContext({
      workspacePath: workspace(),
      input: { template: "service", lockfile: false, values: { owner: "team-a" } },
    });
    await expect(action.handler(ctx)).rejects.toThrow(/^paved:new \(values\.name\): missing answer for "name"/);
  });

  it("refuses a targetPath outside the workspace and a workspace that already holds files", async () => {
    const workspacePath = workspace();
    const escaping = createMockActionContext({
      workspacePath,
      input: { template: "service", lockfile: false, targetPath: "../outside", values: { name: "svc-a", owner: "team-a" } },
    });
    await expect(action.handler(escaping)).rejects.toThrow(/outside/i);
    expect(readdirSync(path.dirname(workspacePath))).toEqual([]);

    const busy = createMockActionContext({
      workspacePath,
      input: { template: "service", lockfile: false, values: { name: "svc-a", owner: "team-a" } },
    });
    const { mkdirSync } = await import("node:fs");
    mkdirSync(workspacePath, { recursive: true });
    writeFileSync(path.join(workspacePath, "README.md"), "from an earlier step\n");
    await expect(action.handler(busy)).rejects.toThrow(/^paved:new: .* is not empty; fix: /);
    expect(readdirSync(workspacePath)).toEqual(["README.md"]);
  });

  it("uses the module's default source when a step names none, creates the lockfile by default, and trusts only app-config's sources", async () => {
    const calls: unknown[] = [];
    const fake = createPavedNewAction({
      defaultSource: "https://git.example.com/platform/templates.git",
      trustedSources: ["https://git.example.com/platform/templates.git"],
      loadPaved: async () => ({
        UserError: class extends Error {} as never,
        createService: async (options) => {
          calls.push(options);
          return {
            template: "service",
            version: "1.0.0",
            source: String(options.source),
            targetDir: options.targetDir,
            files: [],
            answers: {},
            skippedHooks: [],
            dryRun: false,
            lockfile: null,
          };
        },
      }),
    });
    await fake.handler(createMockActionContext({ workspacePath: workspace(), input: { template: "service", values: { name: "svc-a" } } }));
    await fake.handler(
      createMockActionContext({
        workspacePath: workspace(),
        input: { template: "service", source: "https://git.example.com/other.git", values: { name: "svc-a" } },
      }),
    );
    expect(calls).toEqual([
      expect.objectContaining({
        source: "https://git.example.com/platform/templates.git",
        template: "service",
        lockfile: true,
        trust: true,
      }),
      expect.objectContaining({ source: "https://git.example.com/other.git", lockfile: true, trust: false }),
    ]);
  });
});
