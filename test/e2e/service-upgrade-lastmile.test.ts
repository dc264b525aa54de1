/**
 * Issue 12's "done when", on the built-in service template with the real CLI, git, npm and promtool: a team
 * on 1.0.0 that tuned an alert and annotated its ServiceAccount upgrades to the latest version with --verify
 * and --commit. Every stop names exactly what needs a person (a conflict, a kept file the template dropped,
 * the alert test its tuning breaks); --abort puts everything back; --continue commits each step with its
 * release notes; the result installs with `npm ci`, passes its tests, builds and passes `promtool test rules`.
 * One heavy test (npm install twice).
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { git, runCli, tempDir } from "../helpers.js";

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), "utf8");
const write = (dir: string, file: string, text: string) => writeFileSync(path.join(dir, file), text);
const status = async (dir: string) => (await git(dir, ["status", "--porcelain"])).stdout;

function edit(dir: string, file: string, from: string, to: string): void {
  const text = read(dir, file);
  expect(text.split(from).length - 1, `${file} contains ${JSON.stringify(from)} once`).toBe(1);
  write(dir, file, text.replace(from, to));
}

async function run(dir: string, command: string, args: string[]) {
  const result = await execa(command, args, { cwd: dir, reject: false, all: true, env: { CI: "true", NO_COLOR: "1" } });
  return { exitCode: result.exitCode, output: String(result.all) };
}

// Pinned to 2.0.0 (--to): the release whose steps need a person; later releases are covered by service-upgrade.test.ts.
describe("service 1.0.0 -> 2.0.0 with a tuned alert and an annotated ServiceAccount", () => {
  it("stops for each thing a person must do, --abort restores, --continue commits with release notes, and the result ships", {
    timeout: 600_000,
  }, async () => {
    const dir = path.join(tempDir("paved-lastmile-"), "payments-api");
    const created = await runCli([
      "new",
      "service",
      dir,
      "--version",
      "1.0.0",
      "--yes",
      "--set",
      "owner=team-payments",
      "--no-install",
      "--lockfile",
    ]);
    expect(created.exitCode, String(created.stderr)).toBe(0);
    expect((await git(dir, ["ls-files", "package-lock.json"])).stdout).toBe("package-lock.json");

    // The team's edits: a slower latency alert, and workload identity on the ServiceAccount.
    edit(dir, "monitoring/alerts.yml", "          ) > 0.5\n", "          ) > 12\n");
    edit(
      dir,
      "deploy/base/service-account.yaml",
      '  name: "payments-api"\n',
      '  name: "payments-api"\n  annotations:\n    iam.gke.io/gcp-service-account: payments-api@team-payments.iam.gserviceaccount.com\n',
    );
    await git(dir, ["commit", "-qam", "team edits"]);
    const start = (await git(dir, ["rev-parse", "HEAD"])).stdout;

    // 1. The tuned line touches the template's new `for: 15m`: a conflict in the 1.1.0 step.
    const first = await runCli(["upgrade", dir, "--to", "2.0.0", "--verify", "--commit"]);
    expect(first.exitCode).toBe(1);
    expect(first.stdout).toContain("monitoring/alerts.yml (1 region)");
    expect(first.stdout).toContain("- [ ] If you tuned an alert in monitoring/alerts.yml");
    expect(await status(dir)).toContain("UU monitoring/alerts.yml");

    // --abort: tree, index and .paved.yml as at the start.
    const abort = await runCli(["upgrade", dir, "--abort"]);
    expect(abort.exitCode, String(abort.stderr)).toBe(0);
    expect(await status(dir)).toBe("");
    expect(read(dir, ".paved.yml")).toContain("version: 1.0.0");
    expect((await git(dir, ["rev-parse", "HEAD"])).stdout).toBe(start);

    // Again, and this time resolve: keep the team's threshold, take the template's 15 minutes.
    expect((await runCli(["upgrade", dir, "--to", "2.0.0", "--verify", "--commit"])).exitCode).toBe(1);
    const conflicted = read(dir, "monitoring/alerts.yml");
    write(
      dir,
      "monitoring/alerts.yml",
      conflicted.replace(/^<<<<<<< [^\n]*\n[\s\S]*?^=======\n([\s\S]*?)^>>>>>>> [^\n]*\n/m, (_all, template: string) =>
        template.replace(") > 0.5", ") > 12"),
      ),
    );
    await git(dir, ["add", "monitoring/alerts.yml"]);

    // 2. --continue commits 1.1.0 and goes on to 2.0.0 with --verify: the dropped ServiceAccount file and
    //    the alert test the tuning breaks are both named; nothing is committed.
    const second = await runCli(["upgrade", dir, "--continue"]);
    expect(second.exitCode).toBe(1);
    expect(second.stdout).toContain(
      "action needed: deploy/base/service-account.yaml: the template no longer has this file, so your edits in it no longer take effect; in the old version deploy/base/kustomization.yaml",
    );
    expect(second.stdout).toMatch(
      /✗ verification failed: `promtool test rules monitoring\/alerts\.test\.yml` exited with 1; its last lines:[\s\S]*LatencyP99High/,
    );
    expect(read(dir, ".paved.yml")).toContain("version: 2.0.0");
    expect(read(dir, "package-lock.json")).toContain('"@types/node": "^24');
    const log = (await git(dir, ["log", "--format=%B%x00"])).stdout.split("\0");
    expect(log[0]).toMatch(/^Upgrade service from 1\.0\.0 to 1\.1\.0\n[\s\S]*## service 1\.1\.0 \(2026-10-06\)\n  Minor release/);

    // The team does what was named: annotations onto the ServiceAccount in deployment.yaml, the old file gone,
    // an alert threshold its test still covers.
    edit(
      dir,
      "deploy/base/deployment.yaml",
      "kind: ServiceAccount\nmetadata:\n",
      "kind: ServiceAccount\nmetadata:\n  annotations:\n    iam.gke.io/gcp-service-account: payments-api@team-payments.iam.gserviceaccount.com\n",
    );
    rmSync(path.join(dir, "deploy/base/service-account.yaml"));
    edit(dir, "monitoring/alerts.yml", "          ) > 12\n", "          ) > 1\n");
    const done = await runCli(["upgrade", dir, "--continue"]);
    expect(done.exitCode, String(done.stderr)).toBe(0);
    expect(await status(dir)).toBe("");
    const message = (await git(dir, ["log", "-1", "--format=%B"])).stdout;
    expect(message).toMatch(/^Upgrade service from 1\.1\.0 to 2\.0\.0\n/);
    expect(message).toContain("## service 2.0.0 (2026-11-10)\n  Major release");
    expect(message).toContain("- [ ] If you had edited deploy/base/service-account.yaml");

    // 3. It ships: a clean install from the lockfile, tests, build, alert tests, doctor.
    for (const [command, args] of [
      ["npm", ["ci", "--no-audit", "--no-fund"]],
      ["npm", ["test"]],
      ["npm", ["run", "build"]],
      ["promtool", ["test", "rules", "monitoring/alerts.test.yml"]],
    ] as const) {
      const result = await run(dir, command, [...args]);
      expect(result.exitCode, `${command} ${args.join(" ")}\n${result.output}`).toBe(0);
    }
    const doctor = await runCli(["doctor", dir, "--format", "json"]);
    const findings = JSON.parse(String(doctor.stdout)).findings as Array<{ check: string; status: string; severity: string }>;
    expect(findings.find((f) => f.check === "paved/conflicts")?.status).toBe("pass");
    expect(findings.filter((f) => f.status === "fail" && f.severity === "error")).toEqual([]);
  });
});
