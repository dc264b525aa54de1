import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { git, runCli, tempDir } from "../helpers.js";

describe("paved new service (smoke)", () => {
  it("creates a service with .paved.yml and one commit", async () => {
    const target = path.join(tempDir(), "payments-api");
    const result = await runCli(["new", "service", target, "--set", "owner=team-payments", "--no-install"]);
    expect(result.stderr).not.toContain("error");
    expect(result.exitCode).toBe(0);
    const recorded = readFileSync(path.join(target, ".paved.yml"), "utf8");
    expect(recorded).toContain("template: service");
    expect(recorded).toContain("owner: team-payments");
    const log = await git(target, ["log", "--format=%s"]);
    expect(log.stdout.trim().split("\n")).toHaveLength(1);
    expect(existsSync(path.join(path.dirname(target), ".payments-api.paved.lock"))).toBe(false);
  });
});
