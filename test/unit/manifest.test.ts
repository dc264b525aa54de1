import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { loadFixture } from "../template-fixtures.js";

async function loadError(manifest: Record<string, unknown> | string): Promise<UserError> {
  try {
    await loadFixture({ manifest });
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error("expected the manifest to be refused");
}

describe("template.yaml", () => {
  it("loads a full manifest with defaults filled in", async () => {
    const version = await loadFixture({
      manifest: {
        questions: [
          { name: "name", type: "input", message: "Name", required: true, pattern: "^[a-z-]+$", patternHint: "lowercase" },
          { name: "ci", type: "select", message: "CI", choices: ["github", { value: "gitlab", name: "GitLab" }], default: "github" },
          { name: "extras", type: "multiselect", message: "Extras", choices: ["a", "b"], default: ["a"] },
          { name: "tier", type: "number", message: "Tier", default: 2, min: 1, max: 3 },
          { name: "queue", type: "confirm", message: "Queue?", when: "tier < 3" },
          { name: "token", type: "input", message: "Token", secret: true },
        ],
        files: { when: { "gitlab/**": 'ci == "gitlab"' }, copy: ["*.png"], managed: ["Dockerfile"] },
        hooks: { postCreate: ["npm install", { run: ["make", "setup"], timeout: 30 }] },
        migrations: [{ rename: { from: "a", to: "b" } }, { delete: "old.txt" }],
        checks: [{ id: "service/dockerfile", type: "file-exists", file: "Dockerfile", message: "has a Dockerfile" }],
        released: "2026-01-02",
      },
      files: { "README.md": "# {{name}}" },
    });
    expect(version.manifest.questions.map((q) => q.name)).toEqual(["name", "ci", "extras", "tier", "queue", "token"]);
    expect(version.manifest.files.copy).toEqual(["*.png"]);
    expect(version.manifest.checks[0]).toMatchObject({ severity: "error", category: "template" });
    expect(version.files.has("README.md")).toBe(true);
  });

  it("names an unknown key and its place", async () => {
    const error = await loadError({ questions: [{ name: "a", type: "input", message: "A", defualt: "x" }] });
    expect(error.message).toMatch(/template\.yaml: questions\[0\]: unknown key "defualt"/);
    expect(error.hint).toMatch(/fix .*template\.yaml/);
  });

  it("names an unknown top-level key", async () => {
    expect((await loadError({ hookz: {} })).message).toMatch(/unknown key "hookz"/);
  });

  it("rejects a wrong question type with the allowed ones", async () => {
    const error = await loadError({ questions: [{ name: "a", type: "text", message: "A" }] });
    expect(error.message).toMatch(/questions\[0\]\.type/);
    expect(error.message).toMatch(/input/);
  });

  it("requires choices for select", async () => {
    expect((await loadError({ questions: [{ name: "a", type: "select", message: "A" }] })).message).toMatch(
      /questions\[0\]\.choices: a select question needs choices/,
    );
  });

  it("rejects an invalid pattern", async () => {
    expect((await loadError({ questions: [{ name: "a", type: "input", message: "A", pattern: "([" }] })).message).toMatch(
      /questions\[0\]\.pattern: is not a valid regular expression/,
    );
  });

  it("rejects duplicate questions", async () => {
    const q = { name: "a", type: "input", message: "A" };
    expect((await loadError({ questions: [q, q] })).message).toMatch(/duplicate question "a"/);
  });

  it("rejects a version that does not match its folder", async () => {
    expect((await loadError("name: demo\nversion: 2.0.0\ndescription: d\n")).message).toMatch(
      /version is "2.0.0" but the folder is "1.0.0"/,
    );
  });

  it("rejects malformed YAML with a line number", async () => {
    expect((await loadError("name: demo\nversion: 1.0.0\ndescription: [unclosed\n")).message).toMatch(/template\.yaml:\d+: /);
  });

  it("rejects YAML that is not a mapping", async () => {
    expect((await loadError("- just\n- a list\n")).message).toMatch(/template\.yaml/);
  });

  it("rejects alias bombs and deep nesting without crashing", async () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 12; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      );
    expect((await loadError(bomb.join("\n"))).message).toMatch(/template\.yaml/);
    expect((await loadError("a: " + "[".repeat(200) + "]".repeat(200))).message).toMatch(/template\.yaml/);
  });
});

describe("one semver pattern", () => {
  it("a version a manifest may have (build metadata included) is one .paved.yml may record", async () => {
    const { manifestSchema } = await import("../../src/templates/manifest.js");
    const { serviceFileSchema } = await import("../../src/service-file.js");
    for (const version of ["1.2.0", "2.0.0-rc.1", "1.0.0+build.5", "1.0.0-rc.1+sha.abc"]) {
      const manifestVersion = manifestSchema.shape.version.safeParse(version).success;
      const recorded = serviceFileSchema().safeParse({ template: "t", source: "s", version }).success;
      expect({ version, recorded }).toEqual({ version, recorded: manifestVersion });
    }
    for (const version of ["1.2", "v1.2.0", "1.2.0-"])
      expect(serviceFileSchema().safeParse({ template: "t", source: "s", version }).success).toBe(false);
  });
});
