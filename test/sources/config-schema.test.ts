import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { cliSpecProblem, configFileSchema, configJsonSchema, parseCliSpec } from "../../src/config.js";
import { ROOT } from "../helpers.js";

const committed = JSON.parse(readFileSync(path.join(ROOT, "schema", "pavedrc.schema.json"), "utf8"));
const docs = readFileSync(path.join(ROOT, "docs", "config.md"), "utf8");

describe(".pavedrc.yml JSON Schema", () => {
  it("schema/pavedrc.schema.json is generated from the current zod schema (run `npm run docs` if not)", () => {
    expect(committed).toEqual(configJsonSchema());
  });

  it("accepts what paved accepts and refuses unknown keys, ranges and bad pins, like the zod schema", () => {
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(committed);
    const good = [
      {},
      { source: "https://git.example.com/t.git", verify: true, trust: ["/srv/templates"], cli: "@acme/paved@1.4.2" },
      {
        cli: { package: "paved@file:../paved-0.1.0.tgz", pin: "devDependency" },
        defaults: { service: { repository: "https://x/{{name}}", tier: 2, features: ["a"] } },
      },
    ];
    for (const config of good) {
      expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
      expect(configFileSchema().safeParse(config).success).toBe(true);
    }
    const bad = [
      { colour: "blue" },
      { cli: { package: "@acme/paved@1.4.2", pin: "global" } },
      { trust: "https://x" },
      { defaults: { service: { "bad-name": 1 } } },
      { cli: "@acme/paved" },
    ];
    for (const config of bad) {
      expect(validate(config), JSON.stringify(config)).toBe(false);
      expect(configFileSchema().safeParse(config).success, JSON.stringify(config)).toBe(false);
    }
  });

  it("docs/config.md describes every key", () => {
    for (const key of Object.keys(committed.properties).filter((k) => k !== "$schema")) expect(docs).toContain(`| \`${key}`);
    expect(docs).toContain("| `cli.pin`");
  });

  it("cli: a package and an exact version or a tarball, split at the @ after the scope", () => {
    expect(cliSpecProblem("@acme/paved@1.4.2")).toBeUndefined();
    expect(cliSpecProblem("paved@0.1.0-rc.1")).toBeUndefined();
    expect(cliSpecProblem("paved@file:/srv/@builds/paved-0.1.0.tgz")).toBeUndefined();
    expect(parseCliSpec("@acme/paved@file:/srv/@builds/p.tgz", "devDependency")).toEqual({
      package: "@acme/paved",
      version: "file:/srv/@builds/p.tgz",
      spec: "@acme/paved@file:/srv/@builds/p.tgz",
      pin: "devDependency",
    });
    expect(cliSpecProblem("@acme/paved")).toMatch(/exact version/);
    expect(cliSpecProblem("paved@latest")).toMatch(/not an exact version/);
    expect(cliSpecProblem("paved@~1.4.2")).toMatch(/not an exact version/);
    expect(cliSpecProblem("Paved@1.0.0")).toMatch(/not an npm package name/);
    expect(cliSpecProblem("paved@file:/tmp/a b.tgz")).toMatch(/may hold only/);
    expect(cliSpecProblem("paved@file:/tmp/$(id).tgz")).toMatch(/may hold only/);
  });
});
