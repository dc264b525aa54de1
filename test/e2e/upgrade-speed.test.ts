import { appendFileSync, cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_TEMPLATES, runCli, tempDir } from "../helpers.js";
import { commitAll } from "../upgrade/fixtures.js";

/**
 * The built-in service 1.0.0 copied into a local source as 1.0.0, plus two made-up later versions that
 * change, add and delete files, so a real generated service is upgraded across two versions.
 */
function serviceSource(): string {
  const root = tempDir("paved-speed-src-");
  const v1 = path.join(root, "service", "1.0.0");
  cpSync(path.join(BUILTIN_TEMPLATES, "service", "1.0.0"), v1, { recursive: true });
  for (const [version, change] of [
    ["1.1.0", (dir: string) => appendFileSync(path.join(dir, "files", "README.md"), "\n## Upgrading\n\nRun `paved upgrade`.\n")],
    ["2.0.0", (dir: string) => writeFileSync(path.join(dir, "files", "SECURITY.md"), "# Security\n\nReport issues to {{owner}}.\n")],
  ] as const) {
    const previous = path.join(root, "service", version === "1.1.0" ? "1.0.0" : "1.1.0");
    const dir = path.join(root, "service", version);
    cpSync(previous, dir, { recursive: true });
    const manifest = path.join(dir, "template.yaml");
    writeFileSync(manifest, readFileSync(manifest, "utf8").replace(/^version: .*$/m, `version: ${version}`));
    change(dir);
  }
  return root;
}

describe("paved upgrade speed", () => {
  it("upgrades a generated service across two versions (time printed; the brief's target is under 2 s)", async () => {
    const source = serviceSource();
    const target = path.join(tempDir("paved-speed-"), "payments-api");
    const created = await runCli([
      "new",
      "service",
      target,
      "--source",
      source,
      "--version",
      "1.0.0",
      "--yes",
      "--set",
      "owner=team-payments",
      "--no-install",
    ]);
    expect(created.exitCode, String(created.stderr)).toBe(0);
    const readme = path.join(target, "README.md");
    writeFileSync(readme, readFileSync(readme, "utf8").replace("\n", "\n\nTeam notes.\n"));
    await commitAll(target);

    const started = performance.now();
    const result = await runCli(["upgrade", target, "--json"]);
    const ms = Math.round(performance.now() - started);
    if (result.exitCode !== 0) console.log(result.stdout, result.stderr);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const report = JSON.parse(String(result.stdout));
    expect(report.steps).toEqual([
      { from: "1.0.0", to: "1.1.0" },
      { from: "1.1.0", to: "2.0.0" },
    ]);
    const upgraded = readFileSync(readme, "utf8");
    expect(upgraded).toContain("Team notes.");
    expect(upgraded).toContain("## Upgrading");
    expect(readFileSync(path.join(target, "SECURITY.md"), "utf8")).toContain("team-payments");
    console.log(
      `paved upgrade across two versions of the service template: ${ms} ms wall clock (CLI process included), ${report.durationMs} ms inside paved`,
    );
  });
});
