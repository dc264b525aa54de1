import path from "node:path";
import { createService } from "paved";
import { describe, expect, it } from "vitest";
import { git, runCli, tempDir } from "../../../test/helpers.js";
import { fleetReportFacts, pavedFactRetriever, pavedFactSchema } from "../src/index.js";

async function pavedRepository(root: string, name: string, version: string): Promise<void> {
  const dir = path.join(root, name);
  await createService({ template: "service", version, answers: { name, owner: "team-a" }, targetDir: dir });
  await git(dir, ["init", "-q", "-b", "main"]);
  await git(dir, ["add", "-A"]);
  await git(dir, ["commit", "-q", "-m", "create"]);
}

describe("Tech Insights facts from paved fleet report --format json", () => {
  it("gives one fact set per paved service, keyed by its catalog Component", async () => {
    const root = tempDir();
    await pavedRepository(root, "current-api", "2.2.0");
    await pavedRepository(root, "older-api", "2.1.0");
    const report = await runCli(["fleet", "report", root, "--format", "json", "--no-cache"], { env: { PAVED_CACHE: tempDir() } });
    expect(report.exitCode).toBe(0);

    const facts = fleetReportFacts(JSON.parse(report.stdout)).sort((a, b) => a.entity.name.localeCompare(b.entity.name));
    expect(facts.map((f) => f.entity)).toEqual([
      { namespace: "default", kind: "component", name: "current-api" },
      { namespace: "default", kind: "component", name: "older-api" },
    ]);
    expect(facts[0]!.facts).toMatchObject({
      pavedTemplate: "service",
      pavedVersion: "2.2.0",
      pavedLatestVersion: "2.2.0",
      versionsBehind: 0,
    });
    expect(facts[1]!.facts).toMatchObject({
      pavedTemplate: "service",
      pavedVersion: "2.1.0",
      pavedLatestVersion: "2.2.0",
      versionsBehind: 1,
    });
    for (const { facts: set } of facts) {
      expect(Object.keys(set).sort()).toEqual(Object.keys(pavedFactSchema).sort());
      expect(set.doctorFailed).toBe(set.doctorResult === "fail");
      expect(Array.isArray(set.failingChecks)).toBe(true);
    }

    const retriever = pavedFactRetriever({ readReport: async () => JSON.parse(report.stdout) });
    expect(await retriever.handler()).toHaveLength(2);
  });

  it("refuses what is not a fleet report, naming the field", () => {
    expect(() => fleetReportFacts({ version: 2, services: [] })).toThrow(/^not a paved fleet report .*: version: /);
  });
});
