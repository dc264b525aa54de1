import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { escapeData, escapeProperty, githubStepSummary } from "../../src/doctor/format/github.js";
import { FORMATS, formatReport, formatReports } from "../../src/doctor/format/index.js";
import { escapeXml } from "../../src/doctor/format/junit.js";
import { exitCodeOf, summarize } from "../../src/doctor/model.js";
import { makeService } from "./fixtures.js";
import { sampleReport } from "./sample-report.js";
import { validateSarif } from "./sarif-schema.js";

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");
const EXTENSION: Record<string, string> = { human: "txt", json: "json", sarif: "sarif.json", junit: "xml", github: "txt", gitlab: "json" };

/** Compare with the golden file; UPDATE_GOLDEN=1 rewrites it (review the diff before committing). */
function expectGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
    if (process.env.CI && !existsSync(file)) throw new Error(`golden file ${name} is missing`);
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, "utf8"));
}

describe("golden files", () => {
  for (const format of FORMATS) {
    it(`${format} matches test/doctor/golden/report.${format}.${EXTENSION[format]}`, () => {
      expectGolden(`report.${format}.${EXTENSION[format]}`, formatReport(sampleReport(), format));
    });
  }

  it("github step summary matches its golden file", () => {
    expectGolden("report.github-summary.md", githubStepSummary(sampleReport()));
  });

  it("human output of a clean, fixed run in strict mode", () => {
    const clean = sampleReport({
      findings: sampleReport().findings.filter((f) => f.status !== "fail"),
      fixed: [{ path: "Dockerfile", action: "created" }],
      strict: true,
    });
    clean.summary = { passed: 3, errors: 0, warnings: 0, infos: 0, skipped: 1, waived: 0 };
    expectGolden("clean.human.txt", formatReport(clean, "human"));
  });
});

describe("SARIF", () => {
  it("validates against the SARIF 2.1.0 schema", () => {
    expect(validateSarif(formatReport(sampleReport(), "sarif"))).toEqual([]);
  });

  it("the schema check can fail (a result without a message is rejected)", () => {
    const log = JSON.parse(formatReport(sampleReport(), "sarif"));
    delete log.runs[0].results[0].message;
    log.runs[0].results[0].level = "fatal";
    expect(validateSarif(JSON.stringify(log)).length).toBeGreaterThan(0);
  });

  it("gives every result a location and a rule id from the driver's rules", () => {
    const log = JSON.parse(formatReport(sampleReport(), "sarif"));
    const run = log.runs[0];
    const ruleIds = run.tool.driver.rules.map((r: { id: string }) => r.id);
    expect(ruleIds).toContain("paved/version-lag");
    for (const result of run.results) {
      expect(result.locations[0].physicalLocation.artifactLocation.uri).toBeTruthy();
      expect(result.locations[0].physicalLocation.region.startLine).toBeGreaterThan(0);
      expect(ruleIds[result.ruleIndex]).toBe(result.ruleId);
    }
    const waived = run.results.find((r: { ruleId: string }) => r.ruleId === "service/alert-rules");
    expect(waived.suppressions[0].kind).toBe("external");
  });

  it("a real doctor run on a broken service is valid SARIF too", async () => {
    const svc = await makeService();
    svc.remove("Dockerfile", "CODEOWNERS");
    svc.write({ "deploy/app.yaml": "changed: true\n" });
    const text = formatReport(await svc.run(), "sarif");
    expect(validateSarif(text)).toEqual([]);
    expect(JSON.parse(text).runs[0].results.length).toBeGreaterThanOrEqual(3);
  });
});

describe("escaping", () => {
  it("escapes GitHub workflow command data and properties", () => {
    expect(escapeData("50% done\r\nnext")).toBe("50%25 done%0D%0Anext");
    expect(escapeProperty("a:b,c%")).toBe("a%3Ab%2Cc%25");
    const out = formatReport(sampleReport(), "github");
    expect(
      out
        .split("\n")
        .filter((l) => l.startsWith("::"))
        .every((l) => !l.slice(2).includes("\n")),
    ).toBe(true);
    expect(out).toContain("::notice file=Dockerfile,line=1,title=paved doctor%3A service/non-root::");
    expect(out).not.toContain("service/alert-rules");
  });

  it("escapes XML and drops characters XML cannot hold", () => {
    expect(escapeXml(`<a href="x">&'\u0001`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;\uFFFD");
  });

  it("escapes markdown table cells", () => {
    const summary = githubStepSummary(sampleReport());
    expect(summary).toContain("shared \\| stack");
    expect(summary).toContain("&lt;50%");
  });

  it("keeps GitLab fingerprints free of line numbers", () => {
    const report = sampleReport();
    const moved = sampleReport({ findings: report.findings.map((f) => (f.line ? { ...f, line: f.line + 10 } : f)) });
    const a = JSON.parse(formatReport(report, "gitlab")) as Array<{ fingerprint: string; location: { lines: { begin: number } } }>;
    const b = JSON.parse(formatReport(moved, "gitlab")) as typeof a;
    expect(a.map((i) => i.fingerprint)).toEqual(b.map((i) => i.fingerprint));
    expect(a.map((i) => i.location.lines.begin)).not.toEqual(b.map((i) => i.location.lines.begin));
    expect(new Set(a.map((i) => i.fingerprint)).size).toBe(a.length);
  });
});

describe("exit codes", () => {
  it("is 1 on errors, 0 on warnings only, 1 on warnings with strict", () => {
    const base = { passed: 1, errors: 0, warnings: 0, infos: 0, skipped: 0, waived: 0 };
    expect(exitCodeOf({ ...base, errors: 1 }, false)).toBe(1);
    expect(exitCodeOf({ ...base, warnings: 2, infos: 1, waived: 3 }, false)).toBe(0);
    expect(exitCodeOf({ ...base, warnings: 2 }, true)).toBe(1);
  });
});

describe("junit", () => {
  it("turns warnings into failures only with --strict", () => {
    const lenient = formatReport(sampleReport(), "junit");
    const strict = formatReport(sampleReport({ strict: true }), "junit");
    expect(lenient).toContain('<testsuites name="paved doctor" tests="11" failures="4"');
    expect(strict).toContain('<testsuites name="paved doctor" tests="11" failures="5"');
    expect(strict).toContain('type="warning">.paved.yml:4: 1.0.0 is a minor version behind');
  });
});

describe("human --quiet", () => {
  it("shows only the problems and the summary", () => {
    const text = formatReport(sampleReport(), "human", { onlyProblems: true });
    expect(text).toContain("✗ paved/required-files");
    expect(text).toContain("– service/alert-rules");
    expect(text).not.toContain("✓");
    expect(text).not.toContain("\nownership\n");
    expect(text).toMatch(/failed: 3 passed, 4 errors/);
  });
});

describe("several services in one report (paved doctor --all)", () => {
  /** The sample report as runDoctor gives it for a service at `at`: files from the repository root. */
  const at = (servicePath: string) => {
    const base = sampleReport();
    const findings = [
      ...base.findings.map((f) => (f.file ? { ...f, file: `${servicePath}/${f.file}` } : f)),
      {
        check: "service/dashboard",
        category: "monitoring",
        severity: "error" as const,
        status: "fail" as const,
        message: "no anchor of its own",
      },
    ];
    return sampleReport({ path: servicePath, dir: `/srv/mono/${servicePath}`, findings, summary: summarize(findings) });
  };
  const reports = [at("packages/svc-a"), at("packages/svc-b")];

  it("SARIF: one run holding every service's results, each located from the repository root, valid against the schema", () => {
    const text = formatReports(reports, "sarif");
    expect(validateSarif(text)).toEqual([]);
    const log = JSON.parse(text);
    expect(log.runs).toHaveLength(1);
    const uris = log.runs[0].results.map(
      (r: { locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }) =>
        r.locations[0]!.physicalLocation.artifactLocation.uri,
    );
    expect(uris).toContain("packages/svc-a/deploy/base/pdb.yaml");
    expect(uris).toContain("packages/svc-b/deploy/base/pdb.yaml");
    // A finding with no file of its own is anchored on its service's .paved.yml, not the root's.
    expect(uris).toContain("packages/svc-a/.paved.yml");
    expect(uris.every((u: string) => u.startsWith("packages/svc-a/") || u.startsWith("packages/svc-b/"))).toBe(true);
    expect(log.runs[0].properties.applications.map((a: { path: string }) => a.path)).toEqual(["packages/svc-a", "packages/svc-b"]);
    // Rules are not repeated per service.
    const ids = log.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("GitHub, GitLab, JUnit and JSON name each service's files from the repository root", () => {
    const github = formatReports(reports, "github");
    expect(github).toContain("::error file=packages/svc-a/deploy/base/pdb.yaml,line=6,");
    expect(github).toContain("::error file=packages/svc-b/.paved.yml,line=1,title=paved doctor%3A paved/required-files::");
    expect(github).toContain("paved doctor: packages/svc-b: service 1.0.0: ");
    const gitlab = JSON.parse(formatReports(reports, "gitlab")) as Array<{ location: { path: string }; fingerprint: string }>;
    expect(gitlab.map((i) => i.location.path)).toContain("packages/svc-b/src/config.ts");
    expect(new Set(gitlab.map((i) => i.fingerprint)).size).toBe(gitlab.length);
    const junit = formatReports(reports, "junit");
    expect(junit).toContain('<testsuite name="packages/svc-a: files"');
    expect(junit).toContain('name="paved/managed-drift" file="packages/svc-b/deploy/base/pdb.yaml"');
    const json = JSON.parse(
      formatReports(reports, "json", {}, [
        {
          path: "packages/svc-c",
          error: { message: ".paved.yml: broken", hint: "restore it", code: "user", fields: { file: ".paved.yml" } },
        },
      ]),
    );
    expect(json).toMatchObject({ ok: false, exitCode: 2 });
    expect(json.applications.map((a: { path: string; exitCode: number }) => [a.path, a.exitCode])).toEqual([
      ["packages/svc-a", 1],
      ["packages/svc-b", 1],
      ["packages/svc-c", 2],
    ]);
    // The service that could not be checked carries its refusal's code and fields, as a one-service --json error does.
    expect(json.applications[2].error).toEqual({
      message: ".paved.yml: broken",
      hint: "restore it",
      code: "user",
      fields: { file: ".paved.yml" },
    });
  });
});
