import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import ajvFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

/**
 * renovate/paved.json, checked against what it must do. Renovate itself is not a dependency (it is huge);
 * its published JSON Schema is used when present (PAVED_RENOVATE_SCHEMA, or a renovate package in
 * node_modules): `npm pack renovate` and point PAVED_RENOVATE_SCHEMA at package/renovate-schema.json.
 */
interface Preset {
  customManagers: {
    customType: string;
    managerFilePatterns: string[];
    matchStringsStrategy: string;
    matchStrings: string[];
    datasourceTemplate: string;
    extractVersionTemplate: string;
  }[];
  packageRules: { postUpgradeTasks: { commands: string[]; executionMode: string } }[];
}

const preset = JSON.parse(readFileSync(path.join(ROOT, "renovate", "paved.json"), "utf8")) as Preset;
const manager = preset.customManagers[0]!;

/** Renovate's "combination" strategy: each string's named groups, merged (RE2 accepts these JS patterns as written). */
function extract(text: string): Record<string, string> {
  return Object.assign({}, ...manager.matchStrings.map((s) => new RegExp(s).exec(text)?.groups ?? {}));
}

const SERVICE_FILE = `# Managed by paved (https://github.com/paved-dev/paved): do not edit by hand.
template: service
source: https://git.example.com/platform/service-template.git
version: 1.2.0
answers:
  name: payments
  version: 9.9.9
`;

describe("renovate/paved.json", () => {
  it("reads template, source and version from .paved.yml (not an answer's `version:`)", () => {
    expect(manager).toMatchObject({ customType: "regex", matchStringsStrategy: "combination", datasourceTemplate: "git-tags" });
    expect(extract(SERVICE_FILE)).toEqual({
      depName: "service",
      packageName: "https://git.example.com/platform/service-template.git",
      currentValue: "1.2.0",
    });
    expect(extract(SERVICE_FILE.replace("https://git.example.com/", "git@git.example.com:")).packageName).toBe(
      "git@git.example.com:platform/service-template.git",
    );
    // A built-in template has no tags to follow: no package name, so Renovate skips it.
    expect(extract(SERVICE_FILE.replace(/source: .*/, "source: builtin")).packageName).toBeUndefined();
  });

  it("matches .paved.yml anywhere in a repository, and template tags with or without v", () => {
    const pattern = manager.managerFilePatterns[0]!.replace(/^\/|\/$/g, "");
    expect(["/.paved.yml".slice(1), "services/api/.paved.yml"].every((f) => new RegExp(pattern).test(f))).toBe(true);
    expect(new RegExp(pattern).test("x.paved.yml")).toBe(false);
    // Renovate fills the template with the extracted fields (depName: the template's name) before using it.
    const tagOf = (depName: string) => new RegExp(manager.extractVersionTemplate.replaceAll("{{{depName}}}", depName));
    const tag = tagOf("service");
    expect(tag.exec("v2.1.0")?.groups?.version).toBe("2.1.0");
    expect(tag.exec("2.1.0")?.groups?.version).toBe("2.1.0");
    expect(tag.exec("2.1.0-rc.1")?.groups?.version).toBe("2.1.0-rc.1");
    expect(tag.exec("release-2")).toBeNull();
    // Several templates in one repository (src/templates/git-source.ts): changesets and lerna tags, each template's own.
    expect(tag.exec("service@2.2.0")?.groups?.version).toBe("2.2.0");
    expect(tag.exec("service-v2.2.0")?.groups?.version).toBe("2.2.0");
    expect(tag.exec("worker@3.0.0")).toBeNull();
    expect(tag.exec("worker-v3.0.0")).toBeNull();
    expect(tagOf("api-v2").exec("api-v2-v1.0.0")?.groups?.version).toBe("1.0.0");
    expect(manager.extractVersionTemplate.replaceAll("{{{depName}}}", "")).not.toMatch(/\{\{/);
  });

  it("puts .paved.yml back before `paved upgrade` merges to the new version", () => {
    const { commands, executionMode } = preset.packageRules[0]!.postUpgradeTasks;
    expect(executionMode).toBe("update");
    expect(commands[0]).toMatch(/^git checkout HEAD -- .*\.paved\.yml$/);
    expect(commands[1]).toMatch(/paved@[^ ]+ upgrade .* --to \{\{\{newVersion\}\}\} --yes$/);
  });

  it("runs this exact paved release, never whatever the registry has as latest", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
    const { commands } = preset.packageRules[0]!.postUpgradeTasks;
    expect(commands[1]).toContain(`npx --yes ${pkg.name}@${pkg.version} upgrade `);
    expect(commands.join("\n")).not.toMatch(/npx --yes paved upgrade/);
  });

  const schemaFile = [process.env.PAVED_RENOVATE_SCHEMA, path.join(ROOT, "node_modules", "renovate", "renovate-schema.json")].find(
    (f) => f && existsSync(f),
  );
  it.skipIf(!schemaFile)("is valid against Renovate's published JSON Schema", async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajvFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(schemaFile!, "utf8")) as object);
    expect(validate(preset), JSON.stringify(validate.errors)).toBe(true);
  });
});
