import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveAnswers } from "../../src/answers/answers.js";
import { compileTemplate, compileWithHandlebars, handlebars, HELPERS } from "../../src/render/handlebars.js";
import { prepareFastTemplate } from "../../src/render/handlebars-subset/fast-template.js";
import { parseTemplate } from "../../src/render/handlebars-subset/template-parser.js";
import { splitTemplatePath } from "../../src/render/render.js";
import { DirectorySource } from "../../src/templates/source.js";
import { entryText, isBinary } from "../../src/tree.js";
import { BUILTIN_TEMPLATES } from "../helpers.js";
import { builtinCliRenderMeta } from "../../src/config.js";

type Outcome = { output: string } | { error: string };

function outcome(render: () => string): Outcome {
  try {
    return { output: render() };
  } catch (error) {
    return { error: error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error) };
  }
}

/** paved's renderer against real Handlebars: the same output, or the same error. Returns whether the fast path rendered it. */
function agree(source: string, context: Record<string, unknown>): boolean {
  const real = outcome(() => compileWithHandlebars(source)(context));
  expect(
    outcome(() => compileTemplate(source)(context)),
    JSON.stringify({ source, context }),
  ).toEqual(real);
  const fast = prepareFastTemplate(HELPERS, source)?.(context);
  if (fast !== undefined) expect(real, JSON.stringify({ source, context })).toEqual({ output: fast });
  return fast !== undefined;
}

/** A parse tree without source locations (paved's parser does not record them). */
function withoutLocations(node: unknown): unknown {
  return JSON.parse(JSON.stringify(node, (key, value: unknown) => (key === "loc" ? undefined : value)));
}

/** paved's parser builds Handlebars' tree, or declines. Returns whether it parsed. */
function sameTree(source: string): boolean {
  const ours = parseTemplate(source);
  if (ours === undefined) return false;
  expect(withoutLocations(ours), JSON.stringify(source)).toEqual(withoutLocations(handlebars().parse(source)));
  return true;
}

const NAMES = ["name", "port", "tier", "flag", "list", "empty", "nil", "obj", "missing", "json", "log", "zero"];
const HELPER_NAMES = [
  "kebab",
  "camel",
  "pascal",
  "snake",
  "upper",
  "lower",
  "yaml",
  "json",
  "shell",
  "eq",
  "ne",
  "not",
  "and",
  "or",
  "includes",
  "gt",
  "lt",
  "pick",
  "join",
  "nope",
  "if",
  "lookup",
];

const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom("payments-api", "Payments API", "", "0", "a\nb", "{{x}}"),
  fc.integer({ min: -3, max: 9000 }),
  fc.constantFrom(0, 1, 2, 8080, 0.5, NaN, [], {}),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.constantFrom("a", "b", 1), { maxLength: 3 }),
  fc.record(
    { a: fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null)), b: fc.record({ c: fc.integer() }) },
    { requiredKeys: ["b"] },
  ),
);
const context = fc.dictionary(fc.constantFrom(...NAMES.filter((n) => n !== "missing")), value).map((answers) => ({
  ...answers,
  paved: { template: "demo", version: "1.0.0", dirName: "x" },
}));

const text = fc
  .array(fc.constantFrom("a", "b", " ", "  ", "\n", "\t", "{", "}", "\\", '"', "-", "x{{", "\r\n"), { maxLength: 8 })
  .map((chars) => chars.join(""));
const pathExpr = fc.oneof(
  fc.constantFrom(...NAMES),
  fc.constantFrom(
    "obj.a",
    "obj.b.c",
    "obj.z",
    "paved.version",
    "missing.a",
    "name.length",
    "list.0",
    "this",
    "this.name",
    "../name",
    "@root.name",
    "@index",
    "[name]",
  ),
);
const literal = fc.constantFrom('"str"', "'s q'", "1", "0", "-2", "true", "false", "null", "undefined");
const param: fc.Arbitrary<string> = fc.letrec<{ param: string; sub: string }>((tie) => ({
  param: fc.oneof({ depthSize: "small", withCrossShrink: true }, pathExpr, literal, tie("sub")),
  sub: fc.tuple(fc.constantFrom(...HELPER_NAMES), fc.array(tie("param"), { maxLength: 3 })).map(([h, ps]) => `(${[h, ...ps].join(" ")})`),
})).param;
const mustache = fc.oneof(
  pathExpr.map((p) => `{{${p}}}`),
  pathExpr.map((p) => `{{~${p}~}}`),
  pathExpr.map((p) => `{{{${p}}}}`),
  fc.tuple(fc.constantFrom(...HELPER_NAMES), fc.array(param, { minLength: 1, maxLength: 3 })).map(([h, ps]) => `{{${h} ${ps.join(" ")}}}`),
  fc.constantFrom(
    "{{name key=1}}",
    "{{! note }}",
    "{{!-- {{name}} --}}",
    "\\{{name}}",
    "{{> partial}}",
    "{{#each list}}[{{this}}]{{/each}}",
    "{{#with obj}}{{a}}{{/with}}",
  ),
);

const template: fc.Arbitrary<string> = fc.letrec<{ part: string; block: string; body: string }>((tie) => ({
  part: fc.oneof({ depthSize: "small", withCrossShrink: true }, text, mustache, tie("block")),
  body: fc.array(tie("part"), { maxLength: 4 }).map((parts) => parts.join("")),
  block: fc
    .tuple(
      fc.constantFrom("if", "unless"),
      param,
      fc.constantFrom("", "\n", "  "),
      tie("body"),
      fc.option(fc.tuple(fc.constantFrom("{{else}}", "{{^}}", "{{else if flag}}", "\n{{else}}\n", "{{~else~}}"), tie("body")), {
        nil: undefined,
      }),
    )
    .map(
      ([kind, cond, ws, body, otherwise]) =>
        `{{#${kind} ${cond}}}${ws}${body}${otherwise ? otherwise[0] + otherwise[1] : ""}${ws}{{/${kind}}}`,
    ),
})).body;

describe("the fast Handlebars path renders exactly what Handlebars renders", () => {
  it("on generated templates and answers (output, or the same error)", () => {
    let fast = 0;
    let total = 0;
    fc.assert(
      fc.property(template, context, (source, ctx) => {
        total++;
        if (agree(source, ctx)) fast++;
      }),
      { numRuns: 3000 },
    );
    // The comparison means something only if the fast path did render a good share of them.
    expect(fast / total).toBeGreaterThan(0.2);
  });

  it("paved's parser builds the tree Handlebars' parser builds, or leaves the template to it", () => {
    let parsed = 0;
    let total = 0;
    fc.assert(
      fc.property(template, (source) => {
        total++;
        if (sameTree(source)) parsed++;
      }),
      { numRuns: 3000 },
    );
    expect(parsed / total).toBeGreaterThan(0.2);
  });

  it.each([
    "plain text",
    "a\\{{name}} b \\{{json name}} c \\\\{{name}} d \\{{x}}\\{{y}}",
    "{{! short }}{{!-- long {{name}} --}}{{~! strip ~}}\n",
    "  {{#if a}}\n  x\n  {{else if b}}\n  y\n  {{^}}\n  z\n  {{/if}}\n",
    '{{{name}}} {{&name}} {{~name~}} {{json \'it\\\'s\' "say \\"hi\\"" -1.5 true null undefined (eq a.b 2)}}',
    "{{#unless flag~}}  x  {{~/unless}}",
  ])("parses %j as Handlebars does", (source) => {
    expect(sameTree(source)).toBe(true);
  });

  it.each([
    "{{> partial}}",
    "{{name key=1}}",
    "{{@root.name}}",
    "{{../name}}",
    "{{this}}",
    "{{#each list}}{{/each}}x{{[a b]}}",
    "{{^flag}}x{{/flag}}",
    "{{#if a}}x{{/unless}}",
    "{{name",
    "{{{{raw}}}}x{{{{/raw}}}}",
  ])("leaves %j to Handlebars", (source) => {
    expect(parseTemplate(source)).toBeUndefined();
  });

  it.each([
    ["numbers add up as in Handlebars' compiled code", "{{port}}{{tier}}", { port: 8080, tier: 2 }],
    ["a block's value joins the same way", "{{#if port}}{{port}}{{/if}}{{tier}}", { port: 1, tier: 2 }],
    ["text first makes it a string", "x{{port}}{{tier}}", { port: 1, tier: 2 }],
    ["standalone block lines are removed", "a\n  {{#if flag}}\nyes\n  {{else}}\nno\n  {{/if}}\nb\n", { flag: false }],
    ["else if chains", "{{#if a}}A{{else if b}}B{{else}}C{{/if}}", { a: 0, b: [] }],
    ["an empty list is false, zero too", "{{#if list}}L{{/if}}{{#unless zero}}Z{{/unless}}", { list: [], zero: 0 }],
    ["arrays and objects as text", "{{list}}|{{obj}}", { list: [1, "a"], obj: {} }],
    ["a missing name is the strict-mode error", "line\n{{nope}}", {}],
    ["a missing helper argument is undefined", "{{json nope}}", {}],
    ["a missing middle name is an error", "{{json a.b}}", {}],
    ["a name that is a helper calls it", "{{upper}}", { upper: "x" }],
    ["a function in the answers is called", "{{fn}}", { fn: () => "called" }],
    ["a helper that throws", "{{kebab (json)}}", {}],
  ])("%s", (_label, source, ctx) => {
    agree(source, ctx as Record<string, unknown>);
  });

  it("on every file and path of the built-in templates, for each of their examples", async () => {
    const source = new DirectorySource(BUILTIN_TEMPLATES, "builtin", true);
    let fast = 0;
    let templated = 0;
    for (const name of await source.listTemplates()) {
      for (const version of await source.listAllVersions(name)) {
        const loaded = await source.loadVersion(name, version);
        const meta = { template: name, version, dirName: "example", ...builtinCliRenderMeta() };
        for (const example of loaded.manifest.examples) {
          const { answers } = await resolveAnswers({
            questions: loaded.manifest.questions,
            provided: new Map(Object.entries(example.answers).map(([k, v]) => [k, { value: v, origin: "answers file" as const }])),
            meta,
            manifestFile: "template.yaml",
          });
          const ctx = { ...answers, paved: meta };
          for (const [file, entry] of loaded.files) {
            const sources = [...splitTemplatePath(file).filter((s) => s.includes("{{"))];
            if (!isBinary(entry.data) && entryText(entry).includes("{{")) sources.push(entryText(entry));
            for (const text of sources) {
              templated++;
              if (agree(text, ctx)) fast++;
            }
          }
        }
      }
    }
    expect(templated).toBeGreaterThan(20);
    expect(fast / templated).toBeGreaterThan(0.8);
  });
});

// Upgrade renders the same text for two or three versions whose answers mostly agree: the fast path renders it
// once for the same inputs, and again as soon as anything it reads differs.
describe("the fast path reuses its last output only for the same inputs", () => {
  const source = '{{upper name}} {{#if db.on}}db{{else}}no db{{/if}} {{paved.version}} {{eq tier "gold"}}';
  function counted() {
    let calls = 0;
    const helpers = {
      ...HELPERS,
      upper: (v: unknown) => {
        calls++;
        return String(v).toUpperCase();
      },
    };
    const render = prepareFastTemplate(helpers, source)!;
    return { render, calls: () => calls };
  }
  const context = (version: string, extra: Record<string, unknown> = {}) => ({
    name: "api",
    db: { on: true },
    tier: "gold",
    paved: { version },
    ...extra,
  });

  it("renders once for equal values in fresh objects (another version's context)", () => {
    const t = counted();
    expect(t.render(context("1.0.0"))).toBe("API db 1.0.0 true");
    expect(t.render(context("1.0.0"))).toBe("API db 1.0.0 true");
    expect(t.calls()).toBe(1);
  });

  it("renders again when any value read differs, or a name goes missing or moves to the prototype", () => {
    const t = counted();
    t.render(context("1.0.0"));
    expect(t.render(context("2.0.0"))).toBe("API db 2.0.0 true");
    expect(t.render(context("2.0.0", { db: { on: 0 } }))).toBe("API no db 2.0.0 true");
    expect(t.render(context("2.0.0", { db: Object.create({ on: true }) }))).toBeUndefined();
    expect(t.render(context("2.0.0", { tier: "silver" }))).toBe("API db 2.0.0 false");
    expect(t.render(context("2.0.0", { name: "web" }))).toBe("WEB db 2.0.0 true");
    expect(t.calls()).toBe(6); // each of the six read something the one before did not
  });

  it("never reuses an output that read an object or a list, which may have changed in place", () => {
    const render = prepareFastTemplate(HELPERS, "{{join tags}}")!;
    const tags = ["a"];
    expect(render({ tags })).toBe("a");
    tags.push("b");
    expect(render({ tags })).toBe("a, b");
  });
});
