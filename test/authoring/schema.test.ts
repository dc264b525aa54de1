import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { FIELD_DESCRIPTIONS, fieldRows, manifestReference, templateJsonSchema, withManifestReference } from "../../src/authoring/schema.js";
import { starterTemplate } from "../../src/authoring/starter.js";
import { entryText } from "../../src/tree.js";
import { ROOT } from "../helpers.js";

const committedSchema = JSON.parse(readFileSync(path.join(ROOT, "schema", "template.schema.json"), "utf8"));
const docs = readFileSync(path.join(ROOT, "docs", "authoring.md"), "utf8");

describe("template.yaml JSON Schema and manifest reference", () => {
  it("schema/template.schema.json is generated from the current zod schema (run `npm run docs` if not)", () => {
    expect(committedSchema).toEqual(templateJsonSchema());
  });

  it("docs/authoring.md carries the current manifest reference (run `npm run docs` if not)", () => {
    expect(withManifestReference(docs)).toBe(docs);
    expect(docs).toContain(manifestReference());
  });

  it("describes every manifest field, and nothing that is no longer a field", () => {
    const paths = fieldRows(templateJsonSchema()).map((r) => r.path);
    expect(paths.filter((p) => !FIELD_DESCRIPTIONS[p])).toEqual([]);
    expect(Object.keys(FIELD_DESCRIPTIONS).filter((k) => !paths.includes(k))).toEqual([]);
  });

  it("validates real manifests in an editor's validator and refuses unknown keys", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(committedSchema);
    const builtin = parse(readFileSync(path.join(ROOT, "templates", "service", "1.0.0", "template.yaml"), "utf8"));
    expect(validate(builtin), JSON.stringify(validate.errors)).toBe(true);
    const starter = parse(entryText(starterTemplate("worker", "0.1.0", "2026-01-01").get("template.yaml")!));
    expect(validate(starter), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...starter, colour: "blue" })).toBe(false);
    expect(validate({ ...starter, questions: [{ name: "x", type: "checkbox", message: "X" }] })).toBe(false);
  });
});
