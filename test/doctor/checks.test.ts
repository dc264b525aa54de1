import { chmodSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { failures, findingsOf, makeService, only, svcVersion } from "./fixtures.js";

describe("a clean service", () => {
  it("passes every built-in check and reports each once", async () => {
    const svc = await makeService();
    const report = await svc.run();
    expect(failures(report)).toEqual([]);
    const ids = report.findings.map((f) => f.check);
    for (const id of [
      "paved/manifest",
      "paved/version-lag",
      "paved/required-files",
      "paved/managed-drift",
      "service/ci-workflow",
      "service/alert-rules",
      "service/dashboard",
      "service/ownership",
      "paved/secrets",
      "paved/waivers",
    ]) {
      expect(ids).toContain(id);
      expect(only(report, id).status).toBe("pass");
    }
    expect(report.summary.errors).toBe(0);
  });

  it("reads each file from disk at most once per run", async () => {
    const svc = await makeService();
    const { RepoFiles } = await import("../../src/doctor/repo-files.js");
    const reads: Array<Map<string, number>> = [];
    const original = RepoFiles.prototype.read;
    RepoFiles.prototype.read = function (this: InstanceType<typeof RepoFiles>, p: string) {
      if (!reads.includes(this.diskReads)) reads.push(this.diskReads);
      return original.call(this, p);
    };
    try {
      await svc.run();
    } finally {
      RepoFiles.prototype.read = original;
    }
    expect(reads).toHaveLength(1);
    const counts = [...reads[0]!.values()];
    expect(counts.length).toBeGreaterThan(5);
    expect(Math.max(...counts)).toBe(1);
  });
});

describe("paved/manifest", () => {
  it("fails when the recorded version is not in the source, and skips what needs the template", async () => {
    const svc = await makeService({ service: { version: "9.9.9" } });
    const report = await svc.run();
    const f = only(report, "paved/manifest");
    expect(f.status).toBe("fail");
    expect(f.message).toContain("no version 9.9.9");
    expect(f.fix).toContain("1.0.0");
    expect(f.file).toBe(".paved.yml");
    expect(only(report, "paved/managed-drift").status).toBe("skip");
    expect(only(report, "paved/secrets").status).toBe("pass");
  });

  it("fails when the template is unknown in its source", async () => {
    const svc = await makeService({ service: { template: "nope" } });
    const f = only(await svc.run(), "paved/manifest");
    expect(f.status).toBe("fail");
    expect(f.message).toContain('"nope"');
  });

  it("fails when the recorded source is gone, but refuses a --source that does not exist (exit 2)", async () => {
    const svc = await makeService({ service: { source: "../no-such-templates" } });
    const f = only(await svc.run({ source: undefined }), "paved/manifest");
    expect(f.status).toBe("fail");
    expect(f.message).toContain("does not exist");
    await expect(svc.run({ source: path.join(svc.dir, "nope") })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining("--source"),
    });
  });

  it("refuses a broken .paved.yml with a UserError (exit 2) naming the field", async () => {
    const svc = await makeService();
    svc.write({ ".paved.yml": "template: svc\nversion: one\n" });
    await expect(svc.run()).rejects.toMatchObject({ name: "UserError", exitCode: 2, message: expect.stringContaining(".paved.yml") });
  });

  it("refuses a directory without .paved.yml", async () => {
    const svc = await makeService();
    svc.remove(".paved.yml");
    await expect(svc.run()).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining("not a paved service") });
  });
});

describe("paved/required-files", () => {
  it("reports each missing required file, anchored on .paved.yml, fixable when the template renders it", async () => {
    const svc = await makeService();
    svc.remove("Dockerfile", "deploy/app.yaml");
    const missing = findingsOf(await svc.run(), "paved/required-files");
    expect(missing.map((f) => f.message)).toEqual(["Dockerfile is missing", "deploy/app.yaml is missing"].sort());
    expect(missing.every((f) => f.file === ".paved.yml" && f.line === 1 && f.fixable)).toBe(true);
  });

  it("requires a file the template does not provide only as a plain requirement", async () => {
    const versions = { "1.0.0": svcVersion({ manifest: { files: { required: ["SECURITY.md", "adr/*.md"] } } }) };
    const svc = await makeService({ versions });
    const findings = findingsOf(await svc.run(), "paved/required-files");
    expect(findings.map((f) => [f.message, f.fixable])).toEqual([
      ["SECURITY.md is missing", undefined],
      ["no file matches adr/*.md", undefined],
    ]);
    svc.write({ "SECURITY.md": "report to security@\n", "adr/0001-record.md": "# ADR\n" });
    expect(only(await svc.run(), "paved/required-files").status).toBe("pass");
  });

  it("does not require a file a `when` rule leaves out for these answers", async () => {
    const versions = {
      "1.0.0": svcVersion({
        manifest: { files: { required: ["Dockerfile", "docs/runbook.md"], when: { Dockerfile: 'owner == "someone-else"' } } },
      }),
    };
    const svc = await makeService({ versions });
    expect(only(await svc.run(), "paved/required-files").status).toBe("pass");
  });
});

describe("paved/managed-drift", () => {
  it("reports a changed managed file with the line and a diff excerpt", async () => {
    const svc = await makeService();
    svc.write({ "deploy/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: payments-api\nspec:\n  replicas: 1\n" });
    const f = only(await svc.run(), "paved/managed-drift");
    expect(f).toMatchObject({ status: "fail", severity: "error", file: "deploy/app.yaml", line: 6, fixable: true });
    expect(f.diff).toContain("-  replicas: 2");
    expect(f.diff).toContain("+  replicas: 1");
    expect(f.fix).toContain("paved doctor --fix");
  });

  it("reports a lost executable bit", async () => {
    const versions = {
      "1.0.0": svcVersion({ manifest: { files: { managed: ["deploy/app.yaml", "run.sh"] } }, files: { "run.sh": "#!/bin/sh\necho hi\n" } }),
    };
    const svc = await makeService({ versions });
    chmodSync(path.join(svc.source, "svc/1.0.0/files/run.sh"), 0o755);
    expect(only(await svc.run(), "paved/managed-drift").message).toContain("should be executable");
  });

  it("compares against a render with the recorded answers (a different owner renders differently)", async () => {
    const versions = { "1.0.0": svcVersion({ files: { "deploy/app.yaml": "owner: {{owner}}\n" } }) };
    const svc = await makeService({ versions });
    expect(only(await svc.run(), "paved/managed-drift").status).toBe("pass");
    svc.write({
      ".paved.yml": readFileSync(path.join(svc.dir, ".paved.yml"), "utf8").replace("owner: team-payments", "owner: team-other"),
    });
    const f = only(await svc.run(), "paved/managed-drift");
    expect(f.status).toBe("fail");
    expect(f.diff).toContain("-owner: team-other");
  });

  it("diffs a Latin-1 managed file as text (git's rule: binary only with a NUL), bytes shown as Latin-1", async () => {
    const versions = { "1.0.0": svcVersion({ manifest: { files: { managed: ["deploy/app.yaml", "legacy.properties"] } } }) };
    const svc = await makeService({ versions });
    writeFileSync(path.join(svc.source, "svc/1.0.0/files/legacy.properties"), Buffer.from("# caf\xe9\nprix=3\n", "latin1"));
    writeFileSync(path.join(svc.dir, "legacy.properties"), Buffer.from("# caf\xe8\nprix=3\n", "latin1"));
    svc.commit();
    const f = only(await svc.run(), "paved/managed-drift");
    expect(f).toMatchObject({
      status: "fail",
      file: "legacy.properties",
      line: 1,
      message: "legacy.properties differs from the template from line 1",
    });
    expect(f.diff).toContain("-# caf\u00e9\n+# caf\u00e8");
  });

  it("reports a symlink where the template has a file", async () => {
    const svc = await makeService();
    svc.remove("deploy/app.yaml");
    symlinkSync("../README.md", path.join(svc.dir, "deploy/app.yaml"));
    svc.commit();
    expect(only(await svc.run(), "paved/managed-drift").message).toContain("not a symlink");
  });
});

describe("service/ci-workflow", () => {
  it("fails when the workflow runs neither the tests nor paved doctor", async () => {
    const svc = await makeService();
    svc.write({
      ".github/workflows/ci.yml":
        "name: ci\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm run build\n",
    });
    const findings = findingsOf(await svc.run(), "service/ci-workflow");
    expect(findings.map((f) => f.key)).toEqual(["tests", "doctor"]);
    expect(findings[0]).toMatchObject({ file: ".github/workflows/ci.yml", line: 3 });
  });

  it("fails when the workflow is gone", async () => {
    const svc = await makeService();
    svc.remove(".github");
    const f = only(await svc.run(), "service/ci-workflow");
    expect(f.message).toContain("no CI workflow");
    expect(f.file).toBe(".paved.yml");
  });

  it("accepts a GitLab pipeline that runs both, and reports broken YAML with its line", async () => {
    const svc = await makeService();
    svc.remove(".github");
    svc.write({
      ".gitlab-ci.yml":
        "stages: [test]\ntest:\n  script:\n    - npm ci\n    - npm test\ndoctor:\n  script: npx paved doctor --format gitlab\n",
    });
    expect(only(await svc.run(), "service/ci-workflow").status).toBe("pass");
    svc.write({ ".gitlab-ci.yml": "stages: [test]\ntest:\n  script: [npm test\n" });
    const broken = findingsOf(await svc.run(), "service/ci-workflow");
    expect(broken[0]!.message).toContain("not valid YAML");
    expect(broken[0]!.line).toBeGreaterThan(1);
  });

  it("is skipped for a template without CI", async () => {
    const version = svcVersion();
    delete (version.files as Record<string, string>)[".github/workflows/ci.yml"];
    const svc = await makeService({ versions: { "1.0.0": version } });
    expect(only(await svc.run(), "service/ci-workflow").status).toBe("skip");
  });
});

describe("service/alert-rules and service/dashboard", () => {
  it("fails when a required alert was removed, naming it", async () => {
    const svc = await makeService();
    const alerts = readFileSync(path.join(svc.dir, "monitoring/alerts.yml"), "utf8");
    svc.write({ "monitoring/alerts.yml": alerts.replace("- alert: HighErrorRate", "- alert: SomethingElse") });
    const f = only(await svc.run(), "service/alert-rules");
    expect(f.message).toBe("monitoring/alerts.yml lacks the required alert HighErrorRate");
  });

  it("accepts extra alerts and tuned thresholds", async () => {
    const svc = await makeService();
    const alerts = readFileSync(path.join(svc.dir, "monitoring/alerts.yml"), "utf8");
    svc.write({ "monitoring/alerts.yml": alerts.replace("> 0.05", "> 0.01") + "      - alert: Extra\n        expr: vector(1)\n" });
    expect(only(await svc.run(), "service/alert-rules").status).toBe("pass");
  });

  it("reports invalid YAML, a rule without expr, and a bad `for` with their lines", async () => {
    const svc = await makeService();
    svc.write({
      "monitoring/alerts.yml":
        "groups:\n  - name: x\n    rules:\n      - alert: PaymentsApiDown\n        for: soon\n      - alert: HighErrorRate\n        expr: vector(1)\n",
    });
    const findings = findingsOf(await svc.run(), "service/alert-rules");
    expect(findings.map((f) => [f.message, f.line])).toEqual([
      ["monitoring/alerts.yml: PaymentsApiDown has no expr", 4],
      ['monitoring/alerts.yml: PaymentsApiDown has an invalid `for` duration "soon"', 4],
    ]);
    svc.write({ "monitoring/alerts.yml": "groups:\n  - name: [\n" });
    expect(only(await svc.run(), "service/alert-rules").message).toContain("not valid YAML");
  });

  it("reports a missing rules file and a missing or broken dashboard", async () => {
    const svc = await makeService();
    svc.remove("monitoring/alerts.yml", "monitoring/dashboard.json");
    const report = await svc.run();
    expect(only(report, "service/alert-rules")).toMatchObject({ message: "monitoring/alerts.yml is missing", file: ".paved.yml" });
    expect(only(report, "service/dashboard")).toMatchObject({ message: "monitoring/dashboard.json is missing" });
    svc.write({ "monitoring/dashboard.json": '{\n  "title": "x",\n  "panels": [\n' });
    expect(only(await svc.run(), "service/dashboard").message).toContain("not valid JSON");
    svc.write({ "monitoring/dashboard.json": '{ "title": "x", "panels": [] }' });
    expect(only(await svc.run(), "service/dashboard").message).toContain("no panels");
  });
});

describe("service/ownership", () => {
  it("fails when CODEOWNERS gives the repository to another team, on that line", async () => {
    const svc = await makeService();
    svc.write({ CODEOWNERS: "# owners\n*.md @docs-team\n* @team-other\n" });
    const f = only(await svc.run(), "service/ownership");
    expect(f).toMatchObject({ file: "CODEOWNERS", line: 3 });
    expect(f.message).toContain("team-other");
  });

  it("accepts org-qualified and group: references", async () => {
    const svc = await makeService();
    svc.write({
      CODEOWNERS: "* @acme/team-payments @someone\n",
      "catalog-info.yaml": "kind: Component\nmetadata:\n  name: payments-api\nspec:\n  owner: group:default/team-payments\n",
    });
    expect(only(await svc.run(), "service/ownership").status).toBe("pass");
  });

  it("fails when catalog-info.yaml names another owner, and when CODEOWNERS has no catch-all", async () => {
    const svc = await makeService();
    svc.write({
      CODEOWNERS: "/src/ @team-payments\n",
      "catalog-info.yaml": "kind: Component\nmetadata:\n  name: payments-api\nspec:\n  type: service\n  owner: team-billing\n",
    });
    const findings = findingsOf(await svc.run(), "service/ownership");
    expect(findings.map((f) => [f.file, f.line])).toEqual([
      ["CODEOWNERS", 1],
      ["catalog-info.yaml", 6],
    ]);
    expect(findings[1]!.message).toContain("team-billing");
  });

  it("fails when the files are gone", async () => {
    const svc = await makeService();
    svc.remove("CODEOWNERS", "catalog-info.yaml");
    expect(findingsOf(await svc.run(), "service/ownership").map((f) => f.message)).toEqual([
      "CODEOWNERS is missing",
      "catalog-info.yaml is missing",
    ]);
  });
});

describe("paved/secrets (in the repository)", () => {
  it("reports a committed key with file and line, and ignores untracked files", async () => {
    const svc = await makeService();
    const key = "AKIA" + "Q3EGWNZ7" + "RT4XK2LM";
    svc.write({ "src/config.ts": `export const region = "eu-west-1";\nexport const key = "${key}";\n` });
    const f = only(await svc.run(), "paved/secrets");
    expect(f).toMatchObject({ status: "fail", file: "src/config.ts", line: 2 });
    expect(f.message).not.toContain(key);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(path.join(svc.dir, "untracked.env"), `AWS_KEY=${key}\n`);
    expect(findingsOf(await svc.run(), "paved/secrets")).toHaveLength(1);
  });

  it("skips binaries and files over 1 MiB", async () => {
    const svc = await makeService();
    const key = "ghp_" + "a1B2c3D4e5F6g7H8i9J0".repeat(2);
    svc.write({ "big.txt": "x".repeat(1024 * 1024) + `\n${key}\n`, "image.bin": `\0\0${key}` });
    const f = only(await svc.run(), "paved/secrets");
    expect(f.status).toBe("pass");
    expect(f.message).toContain("2 skipped");
  });
});

describe("outside git", () => {
  it("scans every file (but node_modules) and still finds the CI workflow", async () => {
    const svc = await makeService({ git: false });
    const { writeFileSync, mkdirSync } = await import("node:fs");
    mkdirSync(path.join(svc.dir, "node_modules/dep"), { recursive: true });
    writeFileSync(path.join(svc.dir, "node_modules/dep/key.js"), `module.exports = "${"AKIA" + "Q3EGWNZ7" + "RT4XK2LM"}";\n`);
    const report = await svc.run();
    expect(only(report, "service/ci-workflow").status).toBe("pass");
    expect(only(report, "paved/secrets").message).toContain("not a git repository");
    writeFileSync(path.join(svc.dir, "leak.txt"), `key ${"AKIA" + "Q3EGWNZ7" + "RT4XK2LM"}\n`);
    expect(only(await svc.run(), "paved/secrets")).toMatchObject({ status: "fail", file: "leak.txt" });
  });
});
