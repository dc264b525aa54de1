import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatReport } from "../../src/doctor/format/index.js";
import { runCli, snapshotDir, tempDir } from "../helpers.js";
import { makeService, only } from "./fixtures.js";

interface SarifResult {
  ruleId: string;
  locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }>;
}

function sarifLocationOf(text: string, ruleId: string): { uri: string; startLine: number } {
  const log = JSON.parse(text) as { runs: Array<{ results: SarifResult[] }> };
  const result = log.runs[0]!.results.find((r) => r.ruleId === ruleId);
  const location = result?.locations[0]?.physicalLocation;
  if (!location) throw new Error(`no ${ruleId} result with a location in ${text}`);
  return { uri: location.artifactLocation.uri, startLine: location.region.startLine };
}

describe("doctor findings located by the error's fields", () => {
  it("a template.yaml in the repository that is not valid YAML: SARIF and GitHub point at its file and line", async () => {
    const svc = await makeService();
    // A monorepo-style source checked in beside the service; its manifest breaks on line 3.
    cpSync(svc.source, path.join(svc.dir, "templates"), { recursive: true });
    const manifest = path.join(svc.dir, "templates", "svc", "1.0.0", "template.yaml");
    const lines = readFileSync(manifest, "utf8").split("\n");
    lines.splice(2, 0, "broken: [unclosed");
    writeFileSync(manifest, lines.join("\n"));
    const service = readFileSync(path.join(svc.dir, ".paved.yml"), "utf8").replace(/^source: .*$/m, "source: ./templates");
    svc.write({ ".paved.yml": service });

    const report = await svc.run({ source: undefined });
    const finding = only(report, "paved/manifest");
    expect(finding.status).toBe("fail");
    expect(finding.file).toBe("templates/svc/1.0.0/template.yaml");
    expect(finding.line).toBeGreaterThanOrEqual(3);
    expect(sarifLocationOf(formatReport(report, "sarif"), "paved/manifest")).toEqual({
      uri: "templates/svc/1.0.0/template.yaml",
      startLine: finding.line,
    });
    expect(formatReport(report, "github")).toContain(`file=templates/svc/1.0.0/template.yaml,line=${finding.line}`);
  });

  it("a refused recorded answer points at its line under answers: in .paved.yml", async () => {
    const svc = await makeService({
      versions: {
        "1.0.0": {
          manifest: {
            released: "2026-09-01",
            questions: [
              { name: "name", type: "input", message: "Name", required: true },
              { name: "owner", type: "input", message: "Owner", required: true, pattern: "^team-[a-z]+$" },
            ],
          },
          files: { "README.md": "# {{name}}\n" },
        },
      },
    });
    const text = readFileSync(path.join(svc.dir, ".paved.yml"), "utf8").replace("owner: team-payments", "owner: Not A Team");
    svc.write({ ".paved.yml": text });
    const expected = text.split("\n").findIndex((l) => l.includes("owner: Not A Team")) + 1;
    expect(expected).toBeGreaterThan(1);

    const report = await svc.run();
    const finding = only(report, "paved/manifest");
    expect(finding.status).toBe("fail");
    expect(finding.message).toContain("answers.owner");
    expect(sarifLocationOf(formatReport(report, "sarif"), "paved/manifest")).toEqual({ uri: ".paved.yml", startLine: expected });

    // --fix cannot restore from a render with a refused answer: the flag and the answer are data for --json readers.
    const before = snapshotDir(svc.dir);
    const json = await runCli(["doctor", svc.dir, "--source", svc.source, "--fix", "--json"]);
    expect(json.exitCode).toBe(2);
    const { error } = JSON.parse(json.stdout);
    expect(error.message).toMatch(/^--fix: .*answers\.owner/);
    expect(error.fields).toEqual({ flag: "--fix", variable: "owner" });
    const human = await runCli(["doctor", svc.dir, "--source", svc.source, "--fix"]);
    expect(human.exitCode).toBe(2);
    expect(human.stderr.split("\n")[0]).toBe(`error: ${error.message}`);
    expect(human.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(snapshotDir(svc.dir)).toEqual(before);
  });

  it("a directory that does not exist is refused naming it as the file", async () => {
    const missing = path.join(tempDir(), "nope");
    const json = await runCli(["doctor", missing, "--json"]);
    expect(json.exitCode).toBe(2);
    const { error } = JSON.parse(json.stdout);
    expect(error).toMatchObject({ message: `${error.fields.file}: no such directory`, code: "user" });
    expect(error.fields).toEqual({ file: expect.stringMatching(/nope$/) });
    const human = await runCli(["doctor", missing]);
    expect(human.stderr.split("\n")[0]).toBe(`error: ${error.message}`);
  });
});
