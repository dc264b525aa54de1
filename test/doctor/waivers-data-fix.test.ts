import { existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { applyWaivers, waiverCovers } from "../../src/doctor/waivers.js";
import type { Finding } from "../../src/doctor/model.js";
import { findingsOf, makeService, only, svcVersion } from "./fixtures.js";
import { tempDir } from "../helpers.js";

const failing: Finding = {
  check: "service/alert-rules",
  category: "monitoring",
  severity: "error",
  status: "fail",
  message: "x lacks HighErrorRate",
  file: "x",
  line: 1,
};

describe("waivers", () => {
  it("waive a failing check through their until date, then stop working and are reported", () => {
    const waiver = { check: "service/alert-rules", reason: "alerts move to the shared stack", until: "2026-12-31" };
    const text = "template: svc\nwaivers:\n  - check: service/alert-rules\n    reason: r\n    until: 2026-12-31\n";
    const active = applyWaivers([failing], [waiver], ["service/alert-rules"], "2026-12-31", text);
    expect(active[0]!.waived).toEqual({ reason: waiver.reason, until: "2026-12-31" });
    expect(active[1]).toMatchObject({ check: "paved/waivers", status: "pass" });

    const expired = applyWaivers([failing], [waiver], ["service/alert-rules"], "2027-01-01", text);
    expect(expired[0]!.waived).toBeUndefined();
    expect(expired[1]).toMatchObject({ check: "paved/waivers", status: "fail", severity: "warning", file: ".paved.yml", line: 3 });
    expect(expired[1]!.message).toContain("expired on 2026-12-31");
  });

  it("report a waiver for a check that does not exist, and cover a group with /*", () => {
    const out = applyWaivers(
      [failing],
      [{ check: "service/alert-rule", reason: "typo", until: "2030-01-01" }],
      ["service/alert-rules"],
      "2026-01-01",
      "",
    );
    expect(out[0]!.waived).toBeUndefined();
    expect(out[1]!.message).toContain("names no check");
    expect(waiverCovers({ check: "service/*", reason: "r", until: "2030-01-01" }, "service/dashboard")).toBe(true);
    expect(waiverCovers({ check: "service/*", reason: "r", until: "2030-01-01" }, "paved/secrets")).toBe(false);
  });

  it("make doctor pass in a real service, and count as waived", async () => {
    const svc = await makeService({
      service: { waivers: [{ check: "service/ownership", reason: "team rename in progress", until: "2026-12-01" }] },
    });
    svc.write({ CODEOWNERS: "* @team-renamed\n" });
    const report = await svc.run();
    expect(only(report, "service/ownership").waived?.reason).toBe("team rename in progress");
    expect(report.summary).toMatchObject({ errors: 0, waived: 1 });
    const later = await svc.run({ asOf: "2026-12-02" });
    expect(later.summary.errors).toBe(1);
    expect(only(later, "paved/waivers").status).toBe("fail");
  });
});

describe("template data checks", () => {
  const checks = [
    {
      id: "svc/non-root",
      type: "file-contains",
      file: "Dockerfile",
      pattern: "^USER\\s+(?!root\\b|0\\b)\\S+",
      message: "the image runs as a non-root user",
      fix: "add USER 1000",
      category: "container",
    },
    {
      id: "svc/no-latest",
      type: "file-not-contains",
      file: "Dockerfile",
      pattern: "^FROM\\s+\\S+:latest\\b",
      message: "base images are pinned",
      severity: "warning",
    },
    { id: "svc/runbook", type: "file-exists", file: "docs/runbook.md", message: "a runbook exists" },
    { id: "svc/replicas", type: "yaml-path", file: "deploy/app.yaml", path: "spec.replicas", equals: 2, message: "two replicas" },
    {
      id: "svc/name",
      type: "yaml-path",
      file: "deploy/app.yaml",
      path: "metadata.name",
      equals: "{{name}}",
      message: "the deployment is named after the service",
    },
    { id: "svc/engine", type: "json-path", file: "package.json", path: "engines.node", matches: "^>=\\s*2\\d", message: "Node 20+" },
    { id: "svc/gitlab-only", type: "file-exists", file: ".gitlab-ci.yml", message: "GitLab pipeline", when: 'owner == "team-gitlab"' },
  ];
  const versions = {
    "1.0.0": svcVersion({ manifest: { checks }, files: { "package.json": '{ "name": "{{name}}", "engines": { "node": ">=20.19" } }\n' } }),
  };

  it("pass on a clean service (and a false `when` skips)", async () => {
    const svc = await makeService({ versions });
    const report = await svc.run();
    for (const c of checks.slice(0, 6)) expect(only(report, c.id), c.id).toMatchObject({ status: "pass", message: c.message });
    expect(only(report, "svc/non-root").category).toBe("container");
    expect(only(report, "svc/gitlab-only").status).toBe("skip");
  });

  it("fail with the file, line and the template's fix", async () => {
    const svc = await makeService({ versions });
    svc.write({
      Dockerfile: "FROM node:latest\nUSER root\n",
      "deploy/app.yaml": "metadata:\n  name: other\nspec:\n  replicas: 3\n",
      "package.json": '{ "engines": { "node": ">=18" } }\n',
    });
    svc.remove("docs/runbook.md");
    const report = await svc.run();
    expect(only(report, "svc/non-root")).toMatchObject({ status: "fail", severity: "error", file: "Dockerfile", fix: "add USER 1000" });
    expect(only(report, "svc/no-latest")).toMatchObject({ status: "fail", severity: "warning", file: "Dockerfile", line: 1 });
    // docs/runbook.md is required: paved/required-files reports it, the template's check does not repeat it.
    expect(only(report, "svc/runbook")).toMatchObject({
      status: "skip",
      message: "skipped: docs/runbook.md is missing (paved/required-files reports it)",
    });
    expect(findingsOf(report, "paved/required-files").map((f) => f.message)).toEqual(["docs/runbook.md is missing"]);
    expect(only(report, "svc/replicas")).toMatchObject({ status: "fail", file: "deploy/app.yaml", line: 4 });
    expect(only(report, "svc/replicas").message).toContain("spec.replicas is 3, expected to equal 2");
    expect(only(report, "svc/name").message).toContain('expected to equal "payments-api"');
    expect(only(report, "svc/engine").message).toContain('">=18"');
  });
});

describe("a template check on a file nobody requires", () => {
  it("fails when the file is missing, anchored on .paved.yml", async () => {
    const checks = [
      { id: "svc/security-contact", type: "file-contains", file: "SECURITY.md", pattern: "@", message: "SECURITY.md names a contact" },
    ];
    const svc = await makeService({ versions: { "1.0.0": svcVersion({ manifest: { checks } }) } });
    expect(only(await svc.run(), "svc/security-contact")).toMatchObject({
      status: "fail",
      file: ".paved.yml",
      line: 1,
      message: "not met: SECURITY.md names a contact (SECURITY.md is missing)",
    });
    svc.write({ "SECURITY.md": "security@example.com\n" });
    expect(only(await svc.run(), "svc/security-contact").status).toBe("pass");
  });
});

describe("--fix", () => {
  it("restores missing and drifted files the template owns, and nothing else", async () => {
    const svc = await makeService();
    svc.remove("Dockerfile", "deploy/app.yaml");
    svc.write({ "README.md": "# our own readme\n", "src/app.ts": "export {};\n" });
    const before = await svc.run();
    expect(before.summary.errors).toBe(2);
    const report = await svc.run({ fix: true });
    expect(report.fixed).toEqual([
      { path: "Dockerfile", action: "created" },
      { path: "deploy/app.yaml", action: "created" },
    ]);
    expect(report.summary.errors).toBe(0);
    expect(readFileSync(path.join(svc.dir, "README.md"), "utf8")).toBe("# our own readme\n");
    expect(readFileSync(path.join(svc.dir, "deploy/app.yaml"), "utf8")).toContain("name: payments-api");

    writeFileSync(path.join(svc.dir, "deploy/app.yaml"), "drifted\n");
    const restored = await svc.run({ fix: true });
    expect(restored.fixed).toEqual([{ path: "deploy/app.yaml", action: "restored" }]);
    expect(only(restored, "paved/managed-drift").status).toBe("pass");
  });

  it("replaces a symlink instead of writing through it", async () => {
    const svc = await makeService();
    const outside = path.join(tempDir(), "victim.txt");
    writeFileSync(outside, "untouched\n");
    svc.remove("deploy/app.yaml");
    symlinkSync(outside, path.join(svc.dir, "deploy/app.yaml"));
    const report = await svc.run({ fix: true });
    expect(report.fixed).toEqual([{ path: "deploy/app.yaml", action: "restored" }]);
    expect(readFileSync(outside, "utf8")).toBe("untouched\n");
    expect(statSync(path.join(svc.dir, "deploy/app.yaml")).isFile()).toBe(true);
  });

  it("does nothing on a clean service", async () => {
    const svc = await makeService();
    const report = await svc.run({ fix: true });
    expect(report.fixed).toEqual([]);
    expect(findingsOf(report, "paved/required-files")[0]!.status).toBe("pass");
    expect(existsSync(path.join(svc.dir, "SECURITY.md"))).toBe(false);
  });
});
