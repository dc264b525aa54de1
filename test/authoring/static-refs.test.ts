import { describe, expect, it } from "vitest";
import { checkTemplateRefs, rootShape } from "../../src/authoring/static-refs.js";

const root = rootShape([
  { name: "name", type: "input" },
  { name: "owner", type: "input" },
  { name: "features", type: "multiselect" },
  { name: "queue", type: "confirm" },
]);

const at = (source: string) => checkTemplateRefs(source, root).map((f) => [f.problem, f.line, f.column, f.message]);

describe("static references", () => {
  it("finds a typo in an {{#if}} argument, in every branch, with line and column", () => {
    expect(at("# {{name}}\n{{#if queue}}q{{else}}\n  {{#if nmae}}x{{/if}}\n{{/if}}\n")).toEqual([
      ["undefined-variable", 3, 9, "{{nmae}} is not defined"],
    ]);
  });

  it("finds a typo inside an #each block and out-of-scope names there", () => {
    expect(at("{{#each features}}\n- {{this}} {{@index}} {{../name}} {{nmae}}\n{{/each}}")).toEqual([
      ["undefined-variable", 2, 37, "{{nmae}} is not defined"],
    ]);
    expect(at("{{#each features}}{{../../name}}{{/each}}{{@index}}").map((f) => f[0])).toEqual([
      "undefined-variable",
      "undefined-variable",
    ]);
  });

  it("a correct template with block params, this, ../, @index, @root, #with and helpers is clean", () => {
    const source = [
      "{{#each features as |feature i|}}{{i}}: {{kebab feature}} of {{../name}} {{@root.owner}} {{#if @first}}first{{/if}}{{this}}{{/each}}",
      "{{#with paved as |p|}}{{p.version}} {{template}} {{../name}}{{/with}}",
      '{{#if (and queue (eq owner "x"))}}{{upper name}}{{else if (includes features "a")}}a{{else}}{{paved.dirName}}{{/if}}',
      '{{#unless queue}}{{join features ", "}}{{/unless}}{{#features}}{{this}}{{/features}}',
    ].join("\n");
    expect(at(source)).toEqual([]);
  });

  it("refuses unknown helpers, {{log}}, partials and unknown paved keys", () => {
    expect(at('{{#if (eqq name "a")}}x{{/if}}\n{{log name}}\n{{> part}}\n{{paved.dirname}}\n{{#with paved}}{{versoin}}{{/with}}')).toEqual([
      ["unknown-helper", 1, 8, expect.stringMatching(/^"eqq" is not a helper/)],
      ["log-refused", 2, 3, expect.stringContaining("{{log}} is not available")],
      ["unsupported", 3, 1, expect.stringContaining("partials")],
      ["undefined-variable", 4, 3, "{{paved.dirname}} is not defined"],
      ["undefined-variable", 5, 18, "{{versoin}} is not defined"],
    ]);
  });

  it("reports a syntax error as one finding", () => {
    expect(at("{{#if queue}}\nunclosed\n").map((f) => f[0])).toEqual(["syntax"]);
  });

  it("refuses a template nested deeper than render allows as one finding, without recursing", () => {
    const deep = "{{#if queue}}".repeat(5000) + "{{/if}}".repeat(5000);
    expect(at(deep)).toEqual([["syntax", 1, 1, expect.stringMatching(/nest/)]]);
  });
});
