import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { git, runCli, snapshotDir, tempDir } from "../helpers.js";

async function newService(name: string, ...set: string[]): Promise<string> {
  const target = path.join(tempDir("paved-doctor-e2e-"), name);
  const created = await runCli([
    "new",
    "service",
    target,
    "--set",
    `owner=team-${name}`,
    "--no-install",
    ...set.flatMap((s) => ["--set", s]),
  ]);
  expect(created.exitCode, created.stderr).toBe(0);
  return target;
}

function edit(dir: string, file: string, change: (text: string) => string): void {
  const full = path.join(dir, file);
  writeFileSync(full, change(readFileSync(full, "utf8")));
}

async function commitAll(dir: string): Promise<void> {
  await git(dir, ["add", "--all"]);
  await git(dir, ["commit", "--quiet", "--no-verify", "-m", "team changes"]);
}

interface JsonFinding {
  check: string;
  status: string;
  message: string;
  waived?: unknown;
}

function failingFindings(stdout: string): JsonFinding[] {
  return (JSON.parse(stdout) as { findings: JsonFinding[] }).findings.filter((f) => f.status === "fail" && !f.waived);
}

function failingIds(stdout: string): string[] {
  return [...new Set(failingFindings(stdout).map((f) => f.check))].sort();
}

describe("paved doctor on a generated service", () => {
  let clean: string;
  beforeAll(async () => {
    clean = await newService("payments");
  });

  it("exits 0 on a fresh service, every check passing", async () => {
    const result = await runCli(["doctor", clean]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^ok: \d+ passed \(/m);
    expect(result.stdout).not.toMatch(/✗|!/);
    const json = await runCli(["doctor", clean, "--json"]);
    expect(json.exitCode).toBe(0);
    const recorded = /^version: (\S+)$/m.exec(readFileSync(path.join(clean, ".paved.yml"), "utf8"))![1];
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      exitCode: 0,
      template: "service",
      version: recorded,
      latest: recorded,
      summary: { errors: 0, warnings: 0 },
    });
  });

  it("exits 1 on a service broken in several ways, reporting each problem", async () => {
    const dir = await newService("broken");
    rmSync(path.join(dir, "Dockerfile"));
    edit(dir, "deploy/base/pdb.yaml", (t) =>
      t.replace("unhealthyPodEvictionPolicy: AlwaysAllow", "unhealthyPodEvictionPolicy: IfHealthyBudget"),
    );
    edit(dir, ".github/workflows/ci.yml", (t) => t.replace(/\n {6}- name: paved doctor\n.*\n/, "\n      - run: echo skipped\n"));
    edit(dir, "monitoring/alerts.yml", (t) => t.replace("- alert: TargetDown", "- alert: TargetGone"));
    writeFileSync(path.join(dir, "CODEOWNERS"), "* @someone-else\n");
    writeFileSync(path.join(dir, "src/keys.ts"), `export const key = "${"AKIA" + "Q3EGWNZ7" + "RT4XK2LM"}";\n`);
    await commitAll(dir);

    const result = await runCli(["doctor", dir, "--json"]);
    expect(result.exitCode).toBe(1);
    // Exactly the built-in checks; the template's own checks about the missing Dockerfile leave it to paved/required-files.
    expect(failingIds(result.stdout)).toEqual([
      "paved/managed-drift",
      "paved/required-files",
      "paved/secrets",
      "service/alert-rules",
      "service/ci-workflow",
      "service/ownership",
    ]);
    const findings = (JSON.parse(result.stdout) as { findings: JsonFinding[] }).findings;
    expect(findings.filter((f) => f.message.includes("skipped: Dockerfile is missing")).length).toBeGreaterThan(0);
    const human = await runCli(["doctor", dir]);
    expect(human.exitCode).toBe(1);
    for (const text of [
      "✗ paved/required-files  Dockerfile is missing",
      "deploy/base/pdb.yaml differs from the template",
      "lacks the required alert TargetDown",
      "no CI job runs `paved doctor`",
      "gives * to @someone-else",
      "AWS access key id",
      "fix: run `paved doctor --fix`",
    ]) {
      expect(human.stdout).toContain(text);
    }
    expect(human.stdout).not.toContain("Q3EGWNZ7RT4XK2LM");

    const fixed = await runCli(["doctor", dir, "--fix"]);
    expect(fixed.stdout).toContain("created Dockerfile");
    expect(fixed.stdout).toContain("restored deploy/base/pdb.yaml");
    expect(fixed.exitCode).toBe(1);
    expect(readFileSync(path.join(dir, "CODEOWNERS"), "utf8")).toBe("* @someone-else\n");
    expect(readFileSync(path.join(dir, "deploy/base/pdb.yaml"), "utf8")).toContain("AlwaysAllow");
    const after = await runCli(["doctor", dir, "--format", "json"]);
    expect(failingIds(after.stdout)).toEqual(["paved/secrets", "service/alert-rules", "service/ci-workflow", "service/ownership"]);
    expect(readFileSync(path.join(dir, "Dockerfile"), "utf8")).toContain("USER ");
  });

  it("fails warnings only with --strict, and honours waivers through their until day (--as-of)", async () => {
    const dir = await newService("warned");
    const serviceFile = path.join(dir, ".paved.yml");
    const recorded = readFileSync(serviceFile, "utf8");
    writeFileSync(path.join(dir, "CODEOWNERS"), "* @team-renamed\n");
    writeFileSync(
      serviceFile,
      recorded + "waivers:\n  - check: service/ownership\n    reason: team rename in progress\n    until: 2026-06-30\n",
    );

    // On its until day a waiver still turns an error into "waived".
    const waived = await runCli(["doctor", dir, "--strict", "--as-of", "2026-06-30"]);
    expect(waived.exitCode).toBe(0);
    expect(waived.stdout).toContain("– service/ownership");
    expect(waived.stdout).toContain("waived until 2026-06-30: team rename in progress");

    // The day after, it is ignored and reported: a warning, so exit 1 only with --strict (and the error counts again).
    expect((await runCli(["doctor", dir, "--as-of", "2026-07-01"])).exitCode).toBe(1);
    await git(dir, ["checkout", "--", "CODEOWNERS"]);
    const lenient = await runCli(["doctor", dir, "--as-of", "2026-07-01"]);
    expect(lenient.exitCode).toBe(0);
    expect(lenient.stdout).toContain("! paved/waivers  the waiver for service/ownership expired on 2026-06-30");
    const strict = await runCli(["doctor", dir, "--strict", "--as-of", "2026-07-01"]);
    expect(strict.exitCode).toBe(1);
  });

  it("judges version lag as of --as-of and records the date in JSON and SARIF", async () => {
    // 1.1.0 is a major version behind 2.0.0 (released 2026-11-10): the 30-day grace period ends 2026-12-10.
    const dir = path.join(tempDir("paved-doctor-e2e-"), "lagging");
    const created = await runCli(["new", "service", dir, "--version", "1.1.0", "--set", "owner=team-lagging", "--no-install"]);
    expect(created.exitCode, created.stderr).toBe(0);
    const inside = await runCli(["doctor", dir, "--json", "--as-of", "2026-12-09"]);
    expect(inside.exitCode, inside.stderr).toBe(0);
    const report = JSON.parse(inside.stdout) as { asOf: string; findings: JsonFinding[] };
    expect(report.asOf).toBe("2026-12-09");
    expect(report.findings.find((f) => f.check === "paved/version-lag")).toMatchObject({
      status: "pass",
      message: expect.stringContaining("within the grace period until 2026-12-10"),
    });

    const out = path.join(tempDir(), "doctor.sarif");
    const after = await runCli(["doctor", dir, "--format", "sarif", "--output", out, "--as-of", "2026-12-10"]);
    expect(after.exitCode).toBe(1);
    const log = JSON.parse(readFileSync(out, "utf8"));
    expect(log.runs[0].properties.asOf).toBe("2026-12-10");
    expect(log.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toContain("paved/version-lag");

    // Without --as-of the date used is today (UTC), and it is recorded.
    const today = await runCli(["doctor", dir, "--json"]);
    expect((JSON.parse(today.stdout) as { asOf: string }).asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("refuses an --as-of that is not a calendar date, with the fix", async () => {
    const before = snapshotDir(clean);
    for (const bad of ["2026-02-30", "2026-13-01", "tomorrow", "2026-1-5", "2026-12-01T00:00:00Z"]) {
      const result = await runCli(["doctor", clean, "--as-of", bad]);
      expect(result.exitCode, bad).toBe(2);
      expect(result.stderr).toMatch(
        /^error: --as-of: must be a calendar date as YYYY-MM-DD, e\.g\. 2026-12-01\nfix: pass a day such as --as-of 2026-12-01, or leave the flag out to judge as of today \(UTC\)\n?$/,
      );
      expect(result.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    }
    expect(snapshotDir(clean)).toEqual(before);
  });

  it("writes SARIF to --output and the step summary for --format github", async () => {
    const dir = await newService("formats");
    rmSync(path.join(dir, "CODEOWNERS"));
    await commitAll(dir);
    const out = path.join(tempDir(), "doctor.sarif");
    const sarif = await runCli(["doctor", dir, "--format", "sarif", "--output", out]);
    expect(sarif.exitCode).toBe(1);
    expect(sarif.stdout).toContain("CODEOWNERS is missing");
    const log = JSON.parse(readFileSync(out, "utf8"));
    expect(log.version).toBe("2.1.0");
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe(".paved.yml");

    const summary = path.join(tempDir(), "summary.md");
    const github = await runCli(["doctor", dir, "--format", "github"], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(github.exitCode).toBe(1);
    expect(github.stdout).toContain(
      "::error file=.paved.yml,line=1,title=paved doctor%3A service/ownership::CODEOWNERS is missing%0Afix: ",
    );
    expect(readFileSync(summary, "utf8")).toContain("| ✗ error | `service/ownership` | CODEOWNERS is missing<br>fix: ");

    const gitlab = await runCli(["doctor", dir, "--format", "gitlab"]);
    expect(JSON.parse(gitlab.stdout)).toContainEqual(
      expect.objectContaining({
        check_name: "service/ownership",
        severity: "critical",
        location: { path: ".paved.yml", lines: { begin: 1 } },
      }),
    );
    const junit = await runCli(["doctor", dir, "--format", "junit"]);
    expect(junit.stdout).toContain('<failure message="CODEOWNERS is missing" type="error">');

    // An --output that cannot be written: exit 2 naming the flag and the file, both data for --json readers.
    const unwritable = path.join(tempDir(), "no-such-dir", "doctor.json");
    const refused = await runCli(["doctor", dir, "--output", unwritable]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr.split("\n")[0]).toBe(`error: --output ${unwritable}: cannot write: ENOENT`);
    expect(refused.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    const json = await runCli(["doctor", dir, "--json", "--output", unwritable]);
    expect(json.exitCode).toBe(2);
    const { error } = JSON.parse(json.stdout);
    expect(error.message).toBe(`--output ${unwritable}: cannot write: ENOENT`);
    expect(error.fields).toEqual({ flag: "--output", file: unwritable, errno: "ENOENT" });
    expect(existsSync(path.dirname(unwritable))).toBe(false);
  });

  it("exits 2 when it cannot run, saying what to do", async () => {
    const notService = tempDir();
    const missing = await runCli(["doctor", notService]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("is not a paved service: no .paved.yml");
    expect(missing.stderr).toContain("fix: ");

    const dir = await newService("garbled");
    edit(dir, ".paved.yml", (t) => t.replace(/^version: .*$/m, "version: latest"));
    const broken = await runCli(["doctor", dir]);
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toContain(".paved.yml: version: must be a semver version");
    expect(broken.stderr).toContain("git checkout -- .paved.yml");

    const json = await runCli(["doctor", dir, "--json"]);
    expect(json.exitCode).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { message: expect.stringContaining(".paved.yml") } });

    const conflicting = await runCli(["doctor", clean, "--json", "--format", "sarif"]);
    expect(conflicting.exitCode).toBe(2);
    const badGrace = await runCli(["doctor", clean, "--grace-days", "soon"]);
    expect(badGrace.exitCode).toBe(2);
    expect(badGrace.stderr).toContain("--grace-days");
    const badFormat = await runCli(["doctor", clean, "--format", "xml"]);
    expect(badFormat.exitCode).toBe(2);
  });

  it("documents itself in --help", async () => {
    const help = await runCli(["doctor", "--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("paved doctor --format sarif --output paved.sarif");
    expect(help.stdout).toContain("Exit codes");
    expect(existsSync(path.join(clean, ".paved.yml"))).toBe(true);
  });
});

describe("paved doctor without a directory", () => {
  it("finds the service from a subdirectory, as git finds .git", async () => {
    const dir = await newService("nested");
    const result = await runCli(["doctor", "--json"], { cwd: path.join(dir, "src") });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).dir).toBe(dir);
  });
});
