import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { BUILTIN_CHECKS } from "../../src/doctor/run.js";
import { waiversInfo } from "../../src/doctor/waivers.js";
import { ROOT } from "../helpers.js";

describe("docs/doctor.md", () => {
  const docs = readFileSync(path.join(ROOT, "docs", "doctor.md"), "utf8");

  it("has a section for every built-in check (SARIF helpUri anchors point at them)", () => {
    for (const info of [...BUILTIN_CHECKS.map((c) => c.info), waiversInfo]) expect(docs).toContain(`\n### ${info.id}\n`);
  });

  it("lists every check each version of the service template declares", () => {
    const versions = readdirSync(path.join(ROOT, "templates/service")).filter((v) => /^\d+\.\d+\.\d+/.test(v));
    expect(versions).toContain("1.0.0");
    for (const version of versions) {
      const manifest = parse(readFileSync(path.join(ROOT, "templates/service", version, "template.yaml"), "utf8")) as {
        checks?: Array<{ id: string }>;
      };
      expect(manifest.checks?.length ?? 0, version).toBeGreaterThan(5);
      for (const check of manifest.checks ?? []) expect(docs, `${version}: ${check.id}`).toContain(`| \`${check.id}\` |`);
    }
  });
});
