import { describe, expect, it } from "vitest";
import { resolveAnswers, recordedProvided, type RenderMeta } from "../../src/answers/answers.js";
import { redactText } from "../../src/doctor/redact.js";
import { renderTemplate } from "../../src/render/render.js";
import { MAX_TEMPLATE_NESTING, templateNestingDepth } from "../../src/render/handlebars-subset/template-parser.js";
import { compileTemplate } from "../../src/render/handlebars.js";
import { loadFixture } from "../template-fixtures.js";
import { builtinCliRenderMeta } from "../../src/config.js";

const meta: RenderMeta = { template: "demo", version: "1.0.0", dirName: "x", ...builtinCliRenderMeta() };
const j = (...parts: string[]) => parts.join("");

describe("a secret answer nobody recorded", () => {
  it("is unknown when answers come from a record, and every file that reads it in any way is left out", async () => {
    const version = await loadFixture({
      manifest: {
        questions: [
          { name: "name", type: "input", message: "N" },
          { name: "token", type: "input", message: "T", secret: true, default: "dflt" },
        ],
        files: { when: { "gated.txt": "token != ''" } },
      },
      files: {
        "plain.txt": "{{name}}\n",
        "{{#if token}}cfg{{else}}x{{/if}}/config": "c\n",
        "name.txt": "{{token}}\n",
        "helper.txt": "{{upper token}}\n",
        "each.txt": "{{#each this}}{{@key}}{{/each}}\n",
        "json.txt": "{{json this}}\n",
        "gated.txt": "g\n",
        "static.txt": "s\n",
      },
    });
    const resolved = await resolveAnswers({
      questions: version.manifest.questions,
      provided: recordedProvided(version.manifest.questions, { name: "svc" }),
      meta,
      manifestFile: "t",
      fromRecord: true,
    });
    expect([...resolved.unknown]).toEqual(["token"]);
    expect(resolved.answers.token).toBeNull(); // not its default, not ""
    const { tree } = renderTemplate(version, resolved.answers, meta, resolved.unknown);
    expect([...tree.keys()].sort()).toEqual(["plain.txt", "static.txt"]);
  });

  it("is asked for, or refused, as before in `new` (answers not from a record)", async () => {
    const version = await loadFixture({
      manifest: { questions: [{ name: "token", type: "input", message: "T", secret: true, required: true }] },
      files: { "a.txt": "{{token}}" },
    });
    await expect(resolveAnswers({ questions: version.manifest.questions, provided: new Map(), meta, manifestFile: "t" })).rejects.toThrow(
      /missing answer for "token"/,
    );
  });
});

describe("template nesting", () => {
  it("counts blocks, else-if chains and sub-expressions, skipping comments", () => {
    expect(templateNestingDepth("{{#if a}}{{#unless b}}x{{/unless}}{{/if}}")).toBe(2);
    expect(templateNestingDepth("{{#if a}}1{{else if b}}2{{else if c}}3{{else}}4{{/if}}{{#if d}}{{/if}}")).toBe(3);
    expect(templateNestingDepth("{{x (a (b (c d)))}}")).toBe(3);
    expect(templateNestingDepth("{{!-- {{#if a}}{{#if b}} --}}{{y}}")).toBe(0);
    expect(templateNestingDepth('{{x "((((" }}')).toBe(0);
  });

  it("refuses a template deeper than the cap before Handlebars sees it", () => {
    const deep = (n: number) => `${"{{#if a}}".repeat(n)}x${"{{/if}}".repeat(n)}`;
    expect(compileTemplate(deep(MAX_TEMPLATE_NESTING))({ a: true })).toBe("x");
    expect(() => compileTemplate(deep(MAX_TEMPLATE_NESTING + 1))).toThrow(/nest 65 deep \(at most 64\)/);
  });
});

describe("redactText", () => {
  it("hides what the secrets check would report, including lines marked paved:allow-secret", () => {
    const token = j("ghp_", "R4nd0mL00k1ngT0k3n", "Abcdefghij1234567890");
    const text = `+const a = "${token}";\n-password = "${j("Tr0ub4dor", "&3xQ!")}" // paved:allow-secret\n keep this line\n`;
    const out = redactText(text);
    expect(out).not.toContain(token);
    expect(out).not.toContain("Tr0ub4dor");
    expect(out).toContain("[redacted ghp_… (42 characters)]");
    expect(out).toContain(" keep this line\n");
    expect(redactText("nothing here")).toBe("nothing here");
    expect(redactText("from https://ci:S3cr3tT0ken@git.example/t.git")).not.toContain("S3cr3tT0ken");
  });
});
