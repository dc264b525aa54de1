import { describe, expect, it } from "vitest";
import { backstageTemplateEntity } from "../../src/authoring/export-backstage.js";
import { loadFixture } from "../template-fixtures.js";

interface Page {
  properties: Record<string, Record<string, unknown>>;
  allOf?: Array<{ if: { properties: Record<string, unknown> }; then: { properties: Record<string, unknown>; required?: string[] } }>;
}

async function formOf(questions: unknown[]): Promise<Page> {
  const version = await loadFixture({ manifest: { questions } });
  const entity = backstageTemplateEntity({ manifest: version.manifest }) as { spec: { parameters: Page[] } };
  return entity.spec.parameters[0]!;
}

/** Which fields each if/then shows, keyed by its condition. */
function shownBy(page: Page): Record<string, string[]> {
  return Object.fromEntries((page.allOf ?? []).map((c) => [JSON.stringify(c.if.properties), Object.keys(c.then.properties)]));
}

describe("backstageTemplateEntity: when -> if/then", () => {
  const base = [
    { name: "db", type: "select", message: "Database", choices: ["none", "postgres"], default: "none" },
    { name: "tier", type: "select", message: "Tier", choices: [1, 2, 3], default: 3 },
    { name: "queue", type: "confirm", message: "Queue?", default: false },
  ];

  it("expresses ==, != (either side), a bare confirm, its negation and == false; a number choice written as text", async () => {
    const page = await formOf([
      ...base,
      { name: "a", type: "input", message: "A", when: '"postgres" == db', required: true },
      { name: "b", type: "input", message: "B", when: 'db != "postgres"' },
      { name: "c", type: "input", message: "C", when: "queue" },
      { name: "d", type: "input", message: "D", when: "!queue" },
      { name: "e", type: "input", message: "E", when: "queue == false" },
      { name: "f", type: "input", message: "F", when: 'tier == "1"' },
      { name: "g", type: "input", message: "G", when: '!(db == "postgres")' },
    ]);
    expect(shownBy(page)).toEqual({
      '{"db":{"const":"postgres"}}': ["a"],
      '{"db":{"not":{"const":"postgres"}}}': ["b", "g"],
      '{"queue":{"const":true}}': ["c"],
      '{"queue":{"const":false}}': ["d", "e"],
      '{"tier":{"const":1}}': ["f"],
    });
    expect(page.allOf![0]!.then.required).toEqual(["a"]);
    for (const name of ["a", "b", "c", "d", "e", "f", "g"]) expect(page.properties[name]).toBeUndefined();
  });

  it("keeps a field with a note when the form cannot express its condition", async () => {
    const page = await formOf([
      ...base,
      { name: "both", type: "input", message: "Both", when: 'queue && db == "postgres"' },
      { name: "range", type: "input", message: "Range", when: "tier < 3" },
      { name: "unknownChoice", type: "input", message: "X", when: 'db == "mysql"' },
      { name: "onText", type: "input", message: "On text", when: 'both == "x"' },
      { name: "nested", type: "input", message: "Nested", when: 'both != ""' },
      { name: "never", type: "input", message: "Never", when: false },
      { name: "always", type: "input", message: "Always", when: true },
    ]);
    expect(page.allOf).toBeUndefined();
    expect(page.properties.both!.description).toBe('Used only when queue && db == "postgres".');
    expect(page.properties.range!.description).toBe("Used only when tier < 3.");
    expect(page.properties.unknownChoice!.description).toBe('Used only when db == "mysql".');
    expect(page.properties.onText!.description).toBe('Used only when both == "x".');
    expect(page.properties.never).toBeUndefined();
    expect(page.properties.always!.description).toBeUndefined();
  });
});
