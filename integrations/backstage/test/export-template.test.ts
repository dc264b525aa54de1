import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createMockActionContext } from "@backstage/plugin-scaffolder-node-test-utils";
import { entityEnvelopeSchemaValidator, entitySchemaValidator, type Entity } from "@backstage/catalog-model";
import { templateEntityV1beta3Validator } from "@backstage/plugin-scaffolder-common";
import { Ajv } from "ajv";
import { describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { runCli, snapshotDir, tempDir } from "../../../test/helpers.js";
import { makeSource } from "../../../test/template-fixtures.js";
import { createPavedNewAction } from "../src/index.js";

vi.stubGlobal("jest", vi);

interface Page {
  required: string[];
  properties: Record<string, Record<string, unknown>>;
  allOf?: Array<{ if: unknown; then: { properties: Record<string, unknown>; required?: string[] } }>;
}
type TemplateEntity = Entity & {
  spec: { type: string; parameters: Page[]; steps: Array<{ id: string; action: string; input: Record<string, unknown> }> };
};

async function exportTemplate(args: string[]): Promise<TemplateEntity> {
  const result = await runCli(["template", "export", "backstage", ...args]);
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  return parse(result.stdout) as TemplateEntity;
}

/** Backstage's own checks: the catalog's entity envelope and schema, then the scaffolder's Template v1beta3 kind. */
async function expectValidTemplateEntity(entity: Entity): Promise<void> {
  expect(entityEnvelopeSchemaValidator()(entity)).toBe(entity);
  expect(entitySchemaValidator()(entity)).toBe(entity);
  expect(await templateEntityV1beta3Validator.check(entity)).toBe(true);
}

/** Each form page as JSON Schema draft-07 (ajv's default); ui:* and enumNames are react-jsonschema-form's own keywords. */
function pageValidators(entity: TemplateEntity) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addVocabulary(["enumNames"]);
  return entity.spec.parameters.map((page) => ajv.compile(page));
}

describe("paved template export backstage", () => {
  it("writes the built-in service template as a valid Template whose form validates answers like paved does", async () => {
    const entity = await exportTemplate(["service"]);
    await expectValidTemplateEntity(entity);
    expect(entity).toMatchObject({
      apiVersion: "scaffolder.backstage.io/v1beta3",
      kind: "Template",
      metadata: { name: "service", annotations: { "paved.dev/template": "service" } },
    });
    expect(entity.spec.steps.map((s) => s.action)).toEqual(["paved:new", "publish:github", "catalog:register"]);
    expect(entity.spec.steps[0]!.input).toMatchObject({
      template: "service",
      values: { name: "${{ parameters.name }}", owner: "${{ parameters.owner }}" },
    });
    expect(entity.spec.steps[0]!.input.source).toBeUndefined();
    // The repository URL (catalog links, runbook_url) is where publish:github creates it, not asked a second time.
    expect(entity.spec.parameters[0]!.properties.repository).toBeUndefined();
    expect((entity.spec.steps[0]!.input.values as Record<string, string>).repository).toBe(
      "https://${{ parameters.repoUrl | parseRepoUrl | pick('host') }}/${{ parameters.repoUrl | parseRepoUrl | pick('owner') }}/${{ parameters.repoUrl | parseRepoUrl | pick('repo') }}",
    );

    const [form, repository] = pageValidators(entity);
    expect(form!({ name: "payments-api", owner: "team-payments", port: 8080, ci: "gitlab" })).toBe(true);
    expect(form!({ name: "Payments API", owner: "team-payments" })).toBe(false); // the name pattern
    expect(form!({ name: "payments-api", owner: "team-payments", port: 80 })).toBe(false); // min 1024
    expect(form!({ name: "payments-api", owner: "team-payments", ci: "jenkins" })).toBe(false); // not a choice
    expect(form!({ owner: "team-payments" })).toBe(false); // name is required
    // when: networkPolicy == "enforced" -> if/then: the namespaces are checked only when they are asked.
    expect(form!({ name: "payments-api", owner: "team-a", networkPolicy: "enforced", ingressNamespace: "Not_A_Namespace" })).toBe(false);
    expect(form!({ name: "payments-api", owner: "team-a", networkPolicy: "none", ingressNamespace: "Not_A_Namespace" })).toBe(true);
    expect(repository!({ repoUrl: "github.com?owner=acme&repo=payments-api" })).toBe(true);
    expect(repository!({})).toBe(false);
  });

  it("maps every question type, secrets, templated defaults, and each kind of when", async () => {
    const source = makeSource({
      demo: {
        "1.0.0": {
          manifest: {
            questions: [
              { name: "name", type: "input", message: "Name", required: true, pattern: "^[a-z]+$" },
              { name: "tier", type: "select", message: "Tier", choices: [1, 2, 3], default: 3 },
              { name: "queue", type: "confirm", message: "Queue?", default: false },
              { name: "queueName", type: "input", message: "Queue name", default: "{{name}}-jobs", when: "queue" },
              {
                name: "features",
                type: "multiselect",
                message: "Features",
                choices: [{ value: "metrics", name: "Metrics" }, "tracing"],
                default: ["metrics"],
              },
              { name: "pager", type: "input", message: "Pager key", secret: true, when: "tier == 1" },
              { name: "noPagerReason", type: "input", message: "Why no pager?", when: "tier != 1" },
              { name: "replicas", type: "number", message: "Replicas", min: 1, max: 9, default: 2, when: "queue && tier < 3" },
            ],
          },
          files: { "README.md": "{{name}}\n" },
        },
      },
    });
    const world = tempDir();
    const before = snapshotDir(source);
    const out = path.join(world, "demo-template.yaml");
    const result = await runCli([
      "template",
      "export",
      "backstage",
      "demo",
      "--source",
      source,
      "--output",
      out,
      "--owner",
      "group:platform",
      "--type",
      "worker",
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/demo-template\.yaml: Backstage Template demo 1\.0\.0/);
    expect(snapshotDir(source)).toEqual(before);
    const entity = parse(readFileSync(out, "utf8")) as TemplateEntity;
    await expectValidTemplateEntity(entity);
    expect(entity.spec).toMatchObject({ owner: "group:platform", type: "worker" });

    const page = entity.spec.parameters[0]!;
    expect(page.properties.tier).toMatchObject({ type: "number", enum: [1, 2, 3], default: 3 });
    expect(page.properties.queue).toMatchObject({ type: "boolean", default: false });
    expect(page.properties.features).toMatchObject({
      type: "array",
      uniqueItems: true,
      "ui:widget": "checkboxes",
      items: { type: "string", enum: ["metrics", "tracing"], enumNames: ["Metrics", "tracing"] },
      default: ["metrics"],
    });
    // A comparison the form cannot express is a note; the field stays, and paved ignores it when the condition is false.
    expect(page.properties.replicas).toMatchObject({
      type: "number",
      minimum: 1,
      maximum: 9,
      default: 2,
      description: "Used only when queue && tier < 3.",
    });
    const conditions = (page.allOf ?? []).map((c) => ({ when: c.if, shows: Object.keys(c.then.properties) }));
    expect(conditions).toEqual([
      { when: { properties: { queue: { const: true } }, required: ["queue"] }, shows: ["queueName"] },
      { when: { properties: { tier: { const: 1 } }, required: ["tier"] }, shows: ["pager"] },
      { when: { properties: { tier: { not: { const: 1 } } }, required: ["tier"] }, shows: ["noPagerReason"] },
    ]);
    const queueName = page.allOf![0]!.then.properties.queueName as Record<string, unknown>;
    expect(queueName.default).toBeUndefined();
    expect(queueName["ui:help"]).toBe(`Leave empty for the template's default, "{{name}}-jobs".`);
    expect(page.allOf![1]!.then.properties.pager).toMatchObject({ "ui:field": "Secret" });

    const paved = entity.spec.steps[0]!;
    expect(paved.input).toMatchObject({
      template: "demo",
      version: "1.0.0",
      source,
      values: { pager: "${{ secrets.pager }}", tier: "${{ parameters.tier }}" },
    });

    const [form] = pageValidators(entity);
    expect(form!({ name: "demo", tier: 1, queue: true, queueName: "jobs" })).toBe(true);
    expect(form!({ name: "demo", tier: 4 })).toBe(false);
    expect(form!({ name: "demo", features: ["metrics", "metrics"] })).toBe(false);
  });

  it("the form's answers, as the scaffolder passes them to the paved:new step, create the service", async () => {
    const entity = await exportTemplate(["service"]);
    // What the form submits: the person's entries, the form's defaults filled in (react-jsonschema-form does the same).
    const parameters: Record<string, unknown> = {
      name: "payments-api",
      owner: "team-payments",
      database: "postgres",
      repoUrl: "github.com?owner=acme&repo=payments-api",
    };
    const ajv = new Ajv({ strict: false, useDefaults: true });
    ajv.addVocabulary(["enumNames"]);
    expect(ajv.validate(entity.spec.parameters[0]!, parameters)).toBe(true);
    // The scaffolder's ${{ }} substitution, for the expressions the export writes.
    const repository = "https://github.com/acme/payments-api"; // ${{ parameters.repoUrl | parseRepoUrl | pick(...) }}
    const step = entity.spec.steps[0]!;
    const values = Object.fromEntries(
      Object.entries(step.input.values as Record<string, string>).map(([name, expression]) => [
        name,
        name === "repository" ? repository : parameters[/^\$\{\{ parameters\.(\w+) \}\}$/.exec(expression)![1]!],
      ]),
    );

    const workspacePath = path.join(mkdtempSync(path.join(tmpdir(), "paved-backstage-")), "workspace");
    const ctx = createMockActionContext({ workspacePath, input: { ...step.input, values, lockfile: false } as never });
    await createPavedNewAction().handler(ctx);
    const recorded = parse(readFileSync(path.join(workspacePath, ".paved.yml"), "utf8")) as {
      version: string;
      answers: Record<string, unknown>;
    };
    expect(recorded.version).toBe(step.input.version);
    expect(recorded.answers).toMatchObject({
      name: "payments-api",
      owner: "team-payments",
      database: "postgres",
      port: 8080,
      nodeVersion: "24",
      repository,
      description: "The payments-api service",
      ingressNamespace: "ingress-nginx",
    });
  });

  it("an unknown template is exit 2 with one line, and --output is not written", async () => {
    const world = tempDir();
    const result = await runCli(["template", "export", "backstage", "nope", "--output", path.join(world, "t.yaml")]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error: unknown template "nope"/);
    expect(result.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(snapshotDir(world)).toEqual({});
  });
});
