import { describe, expect, it } from "vitest";
import { parseJson, parseYaml, parseYamlDocuments } from "../../src/doctor/parse.js";
import { parseConfigText } from "../../src/yaml-file.js";

describe("doctor's parsers", () => {
  it("refuse exactly what paved's config reader refuses: one alias-bomb guard, one set of limits", () => {
    const nested = (depth: number) => Array.from({ length: depth }, (_, i) => `${"  ".repeat(i)}k:`).join("\n") + " 1\n";
    const laughs = (levels: number, width: number) =>
      [
        `a0: &a0 [${Array(width).fill("x").join(", ")}]`,
        ...Array.from({ length: levels }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(width).fill(`*a${i}`).join(", ")}]`),
      ].join("\n") + "\n";
    for (const text of [nested(60), nested(100), laughs(4, 10), laughs(5, 9)]) {
      let configRefused = false;
      try {
        parseConfigText(text, "f.yml", "fix");
      } catch {
        configRefused = true;
      }
      expect(parseYaml(text).ok, text.slice(0, 40)).toBe(!configRefused);
    }
    expect(parseYaml(nested(100)).ok).toBe(false);
    expect(parseYaml(laughs(5, 9))).toMatchObject({ ok: false });
  });

  it("read YAML 1.2 core types, merge keys, and refuse duplicate keys with a line", () => {
    expect(parseYaml("on: [push]\nwhen: 2026-01-01\nbase: &b {image: node}\njob:\n  <<: *b\n  script: [npm test]\n")).toEqual({
      ok: true,
      value: { on: ["push"], when: "2026-01-01", base: { image: "node" }, job: { image: "node", script: ["npm test"] } },
    });
    expect(parseYaml("a: 1\nb: 2\na: 3\n")).toMatchObject({ ok: false, line: 3, message: expect.stringContaining("duplicated") });
    expect(parseYaml("a:\n  - [1, 2\nb: 3\n")).toMatchObject({ ok: false });
  });

  it("give each document of a stream its first line", () => {
    const text = "# catalog\nkind: Component\nspec:\n  owner: a\n---\nkind: Resource\nspec:\n  owner: b\n";
    const parsed = parseYamlDocuments(text);
    expect(parsed).toEqual({
      ok: true,
      value: [
        { value: { kind: "Component", spec: { owner: "a" } }, line: 1 },
        { value: { kind: "Resource", spec: { owner: "b" } }, line: 6 },
      ],
    });
    const leading = parseYamlDocuments("---\nkind: A\n---\nkind: B\n");
    expect(leading.ok && leading.value.map((d) => d.line)).toEqual([2, 4]);
  });

  it("report the line of a JSON syntax error", () => {
    expect(parseJson('{\n  "a": 1,\n  "b": ]\n}')).toMatchObject({ ok: false, line: 3 });
  });
});

describe("jsonErrorOffset", () => {
  it("finds where the text stops being JSON", async () => {
    const { jsonErrorOffset } = await import("../../src/doctor/parse.js");
    expect(jsonErrorOffset('{"a": [1, 2,, 3]}')).toBe(12);
    expect(jsonErrorOffset('{"a": tru}')).toBe(6);
    expect(jsonErrorOffset('{"a": 1} x')).toBe(9);
    const truncated = '{\n  "title": "x",\n  "panels": [\n';
    expect(jsonErrorOffset(truncated)).toBe(truncated.length);
  });
});

describe("alias bombs", () => {
  it("are refused before any check walks them (10 levels of 10 aliases: 10^10 nodes)", async () => {
    const { parseYaml, parseYamlDocuments } = await import("../../src/doctor/parse.js");
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 10; i++)
      levels.push(
        `l${i}: &l${i} [${Array(10)
          .fill(i === 1 ? "*a" : `*l${i - 1}`)
          .join(", ")}]`,
      );
    const bomb = levels.join("\n") + "\n";
    expect(parseYaml(bomb)).toMatchObject({ ok: false, message: expect.stringContaining("expands") });
    expect(parseYamlDocuments(bomb)).toMatchObject({ ok: false });
    expect(parseYaml("base: &b {image: node}\njob:\n  <<: *b\nglob: ls *.js\n")).toMatchObject({ ok: true });
  });
});
