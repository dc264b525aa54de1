/**
 * The built-in `service` golden path across its releases, end to end with the real CLI and real git:
 * a team creates a service at 1.0.0, edits it, upgrades to 1.1.0 (merges, a kept file, conflicts recorded
 * in the index), resolves, upgrades to 2.0.0 (migrations: a rename that carries the team's edits, a delete;
 * a managed file replaced), and the result installs, passes its tests and builds.
 * Also: a conflict in the first of two steps stops there, and an unedited service upgraded from 1.0.0 is
 * byte for byte a fresh 2.0.0 render with the same answers.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { versionFolders } from "../../src/authoring/release.js";
import { BUILTIN_TEMPLATES, git, listFiles, runCli, snapshotDir, tempDir } from "../helpers.js";

const OWNER = "team-payments";
/** The built-in service's releases, oldest first, as the template directory has them: no test hard-codes the latest. */
const VERSIONS = versionFolders(path.join(BUILTIN_TEMPLATES, "service"));
const LATEST = VERSIONS.at(-1)!;
/** The upgrade steps from `version` to the latest release. */
const stepsFrom = (version: string) =>
  VERSIONS.slice(VERSIONS.indexOf(version), -1).map((from, i) => ({ from, to: VERSIONS[VERSIONS.indexOf(version) + i + 1]! }));

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), "utf8");
const write = (dir: string, file: string, text: string) => writeFileSync(path.join(dir, file), text);

/** Replace `from` (which must occur exactly once) with `to`, so a template change cannot silently skip an edit. */
function edit(dir: string, file: string, from: string, to: string): void {
  const text = read(dir, file);
  expect(text.split(from).length - 1, `${file} contains ${JSON.stringify(from)} once`).toBe(1);
  write(dir, file, text.replace(from, to));
}

async function commitAll(dir: string, message: string): Promise<void> {
  await git(dir, ["add", "--all"]);
  await git(dir, ["commit", "--quiet", "--no-verify", "-m", message]);
}

async function newService(dir: string, version: string, set: string[] = []) {
  const result = await runCli([
    "new",
    "service",
    dir,
    "--version",
    version,
    "--set",
    `owner=${OWNER}`,
    ...set.flatMap((s) => ["--set", s]),
    "--no-install",
  ]);
  expect(result.exitCode, String(result.stderr)).toBe(0);
}

async function upgrade(dir: string, args: string[] = []) {
  const result = await runCli(["upgrade", "--json", ...args], { cwd: dir });
  const body = JSON.parse(String(result.stdout)) as {
    ok: boolean;
    from: string;
    to: string;
    target: string;
    steps: Array<{ from: string; to: string }>;
    actions: Array<{ path: string; action: string; step: string }>;
    conflicts: Array<{ path: string; kind: string; regions: number }>;
    migrations: Array<{ version: string; step: string; status: string }>;
  };
  return { exitCode: result.exitCode, stderr: String(result.stderr), body };
}

const recorded = (dir: string) => parseYaml(read(dir, ".paved.yml")) as { version: string; answers: Record<string, unknown> };

/** Resolve every conflict region of a file with `choose(yours, template)`; the text outside the regions stays. */
function resolve(dir: string, file: string, choose: (yours: string, template: string) => string): void {
  const text = read(dir, file);
  const region = /^<<<<<<< [^\n]*\n([\s\S]*?)^=======\n([\s\S]*?)^>>>>>>> [^\n]*\n/gm;
  expect(text).toMatch(region);
  write(
    dir,
    file,
    text.replace(region, (_all, yours: string, template: string) => choose(yours, template)),
  );
  expect(read(dir, file)).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);
}

/** Unmerged index entries: path -> the stages present (1 base, 2 yours, 3 template). */
async function unmerged(dir: string): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const line of (await git(dir, ["ls-files", "--unmerged"])).stdout.split("\n").filter(Boolean)) {
    const [meta, file] = line.split("\t") as [string, string];
    out[file] ??= [];
    out[file].push(Number(meta.split(" ")[2]));
  }
  return out;
}

/** Children must not think they run inside this vitest (the service's `npm test` runs its own). */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith("VITEST") || key === "NODE_ENV" || key === "TEST") continue;
    env[key] = value;
  }
  return { ...env, CI: "true", NO_COLOR: "1" };
}

async function run(cwd: string, command: string, args: string[], timeout = 240_000) {
  const started = Date.now();
  const result = await execa(command, args, { cwd, env: childEnv(), extendEnv: false, reject: false, all: true, timeout });
  console.log(
    `[service-upgrade] ${command} ${args.join(" ")} -> exit ${result.exitCode} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  return result;
}

const TEAM_ROUTE = `  // Team addition: who to call about this service.
  server.get("/team", async () => ({ owner: service.owner }));

`;

const TEAM_TEST = `import { describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import { createLogger } from "../src/logger.js";

describe("team route", () => {
  it("/team names the owner", async () => {
    const app = buildApp({ logger: createLogger("silent") });
    const response = await app.server.inject({ method: "GET", url: "/team" });
    expect(response.json()).toEqual({ owner: "${OWNER}" });
    await app.server.close();
  });
});
`;

const ALERTS_BULLET_1_0 =
  "- Alert rules: [`monitoring/alerts.yml`](monitoring/alerts.yml) (error budget burn, p99 latency, restarts, target down),";
const ONCALL = "; pages go to #payments-oncall";
const WORKLOAD_IDENTITY = "  annotations:\n    iam.gke.io/gcp-service-account: payments-api@team-payments.iam.gserviceaccount.com\n";
const RUNBOOK_NOTE = "Before rolling back, say so in #payments-oncall.\n\n";

describe("service 1.0.0 -> 1.1.0 -> 2.0.0 -> latest with team edits", () => {
  const dir = path.join(tempDir("paved-svc-upgrade-"), "payments-api");
  /** A fresh 2.0.0 render with the answers the upgraded service ends up with. */
  const fresh = path.join(tempDir("paved-svc-fresh-"), "payments-api");

  beforeAll(async () => {
    await newService(dir, "1.0.0");
    // The team's changes on 1.0.0.
    edit(dir, "README.md", ALERTS_BULLET_1_0, ALERTS_BULLET_1_0.replace("target down),", `target down${ONCALL}),`));
    edit(dir, "README.md", "## Dashboards and alerts\n", "## Team notes\n\nNo deploys on Fridays.\n\n## Dashboards and alerts\n");
    edit(dir, "src/app.ts", '  server.get("/metrics"', `${TEAM_ROUTE}  server.get("/metrics"`);
    write(dir, "test/team.test.ts", TEAM_TEST);
    // The team finds LatencyP99High noisy and waits longer; 1.1.0 changes the same line.
    edit(dir, "monitoring/alerts.yml", "        for: 10m\n", "        for: 20m\n");
    edit(
      dir,
      "docs/runbook.md",
      "Roll back the last release (then find the cause calmly):\n",
      `${RUNBOOK_NOTE}Roll back the last release (then find the cause calmly):\n`,
    );
    await commitAll(dir, "team edits");
  });

  it("upgrade --to 1.1.0: merges clean edits, keeps the team's code, records the two conflicts in the index and exits 1", async () => {
    const { exitCode, body, stderr } = await upgrade(dir, ["--to", "1.1.0"]);
    expect(exitCode, stderr).toBe(1);
    expect(body).toMatchObject({ ok: false, from: "1.0.0", to: "1.1.0", target: "1.1.0" });
    expect(body.conflicts.map((c) => [c.path, c.kind]).sort()).toEqual([
      ["README.md", "content"],
      ["monitoring/alerts.yml", "content"],
    ]);
    const action = (file: string) => body.actions.find((a) => a.path === file)?.action;
    expect(action("monitoring/slo.yaml")).toBe("create");
    expect(action("docs/runbook.md")).toBe("merge");
    expect(action(".github/workflows/ci.yml")).toBe("update");
    expect(action("src/app.ts") ?? "keep").toBe("keep");
    expect(recorded(dir)).toMatchObject({ version: "1.1.0", answers: { logLevel: "info" } });

    // Unmerged in git: base, yours and the template's version, as after a git merge.
    expect(await unmerged(dir)).toEqual({ "README.md": [1, 2, 3], "monitoring/alerts.yml": [1, 2, 3] });
    expect((await git(dir, ["show", ":2:monitoring/alerts.yml"])).stdout).toMatch(/^ {8}for: 20m$/m);
    expect((await git(dir, ["show", ":3:monitoring/alerts.yml"])).stdout).toContain("for 15 minutes (threshold");
    const alerts = read(dir, "monitoring/alerts.yml");
    expect(alerts).toMatch(/^<<<<<<< yours \(service 1\.0\.0\)\n {8}for: 20m\n=======\n {8}for: 15m\n>>>>>>> service 1\.1\.0\n/m);
    // Outside the conflict the template's other 1.1.0 changes are in.
    expect(alerts).toContain('container="app"}[30m]) > 3');

    const readme = read(dir, "README.md");
    expect(readme).toContain(
      `<<<<<<< yours (service 1.0.0)\n${ALERTS_BULLET_1_0.replace("target down),", `target down${ONCALL}),`)}\n=======\n`,
    );
    expect(readme).toContain("## Team notes\n\nNo deploys on Fridays.\n\n## Dashboards and alerts\n");
    expect(readme).toContain("## Service level objectives\n");
    expect(readme.match(/^<<<<<<< /gm)).toHaveLength(1);

    // Merged cleanly, and kept.
    expect(read(dir, "docs/runbook.md")).toContain(RUNBOOK_NOTE);
    expect(read(dir, "docs/runbook.md")).toContain("**What it means:** for 15 minutes");
    expect(read(dir, "src/app.ts")).toContain(TEAM_ROUTE);
    expect(read(dir, "test/team.test.ts")).toBe(TEAM_TEST);
    expect(read(dir, "monitoring/slo.yaml")).toContain("version: prometheus/v1");
  });

  it("resolving and committing, then `paved upgrade`: migrations move the team's runbook, delete the service account, replace the managed workflow", async () => {
    resolve(dir, "monitoring/alerts.yml", (yours) => yours);
    resolve(dir, "README.md", (_yours, template) => template.replace("target down),", `target down${ONCALL}),`));
    await git(dir, ["add", "README.md", "monitoring/alerts.yml"]);
    await git(dir, ["commit", "--quiet", "--no-verify", "-m", "upgrade to service 1.1.0"]);
    // Between upgrades the team edits a file the platform manages.
    edit(
      dir,
      ".github/workflows/deploy.yml",
      "rollout status deployment/payments-api --timeout=10m",
      "rollout status deployment/payments-api --timeout=30m",
    );
    await commitAll(dir, "slower production rollouts");

    const { exitCode, body, stderr } = await upgrade(dir, ["--to", "2.0.0"]);
    expect(exitCode, stderr).toBe(0);
    expect(body).toMatchObject({ ok: true, from: "1.1.0", to: "2.0.0", target: "2.0.0", conflicts: [] });
    expect(body.migrations.map((m) => [m.version, m.step, m.status])).toEqual([
      ["2.0.0", "rename docs/runbook.md -> docs/runbooks/README.md", "applied"],
      ["2.0.0", "delete deploy/base/service-account.yaml", "applied"],
    ]);
    const action = (file: string) => body.actions.find((a) => a.path === file)?.action;
    expect(action(".github/workflows/deploy.yml")).toBe("overwrite");
    expect(action("monitoring/alerts.yml")).toBe("merge");
    expect(action("docs/runbooks/README.md")).toBe("merge");

    await newService(
      fresh,
      "2.0.0",
      Object.entries(recorded(dir).answers).map(([k, v]) => `${k}=${String(v)}`),
    );
    // The rename carried the team's note; the old path and the deleted file are gone.
    expect(existsSync(path.join(dir, "docs/runbook.md"))).toBe(false);
    expect(existsSync(path.join(dir, "deploy/base/service-account.yaml"))).toBe(false);
    const runbook = read(dir, "docs/runbooks/README.md");
    expect(runbook).toContain(RUNBOOK_NOTE);
    expect(runbook).toBe(
      read(fresh, "docs/runbooks/README.md").replace("Roll back the last release", `${RUNBOOK_NOTE}Roll back the last release`),
    );
    expect(read(dir, "deploy/base/kustomization.yaml")).not.toContain("service-account.yaml");
    expect(read(dir, "deploy/base/deployment.yaml")).toContain("kind: ServiceAccount");
    // Managed files are the template's, the team's edit replaced.
    expect(read(dir, ".github/workflows/deploy.yml")).toBe(read(fresh, ".github/workflows/deploy.yml"));
    expect(read(dir, ".nvmrc")).toBe("24\n");
    // Team edits survive the second step; the template's changes merged around them.
    const alerts = read(dir, "monitoring/alerts.yml");
    expect(alerts).toMatch(/^ {8}for: 20m$/m);
    expect(alerts).toBe(read(fresh, "monitoring/alerts.yml").replace(/(\) > 0\.5\n) {8}for: 15m\n/, "$1        for: 20m\n"));
    expect(alerts).toContain("/blob/main/docs/runbooks/README.md#latencyp99high");
    const readme = read(dir, "README.md");
    expect(readme).toContain(ONCALL);
    expect(readme).toContain("## Team notes\n\nNo deploys on Fridays.\n");
    expect(readme).toContain("Needs Node.js 24");
    expect(readme).toContain("[`docs/runbooks/README.md`](docs/runbooks/README.md)");
    expect(read(dir, "src/app.ts")).toBe(
      read(fresh, "src/app.ts").replace('  server.get("/metrics"', `${TEAM_ROUTE}  server.get("/metrics"`),
    );
    expect(read(dir, "test/team.test.ts")).toBe(TEAM_TEST);
    expect(recorded(dir).version).toBe("2.0.0");
    expect(recorded(dir).answers.tier).toBe(2);
    await commitAll(dir, "upgrade to service 2.0.0");
    expect((await git(dir, ["status", "--porcelain"])).stdout).toBe("");
  });

  it("then `paved upgrade` to the latest release keeps every team edit, those made on 2.0.0 included", async () => {
    // On 2.0.0 the team annotates its ServiceAccount (workload identity) and raises the memory limit.
    edit(dir, "deploy/base/deployment.yaml", "kind: ServiceAccount\nmetadata:\n", `kind: ServiceAccount\nmetadata:\n${WORKLOAD_IDENTITY}`);
    edit(dir, "deploy/base/deployment.yaml", "memory: 256Mi", "memory: 384Mi");
    await commitAll(dir, "workload identity, more memory");
    const { exitCode, body, stderr } = await upgrade(dir);
    expect(exitCode, stderr).toBe(0);
    expect(body).toMatchObject({ ok: true, from: "2.0.0", to: LATEST, conflicts: [] });
    expect(body.steps).toEqual(stepsFrom("2.0.0"));
    // 2.1.0 and later carry no migrations of 2.0.0's: nothing is renamed or deleted again.
    expect(body.migrations).toEqual([]);
    const deployment = read(dir, "deploy/base/deployment.yaml");
    expect(deployment).toContain(WORKLOAD_IDENTITY);
    expect(deployment).toContain("memory: 384Mi");
    expect(read(dir, "monitoring/alerts.yml")).toMatch(/^ {8}for: 20m$/m);
    expect(read(dir, "docs/runbooks/README.md")).toContain(RUNBOOK_NOTE);
    expect(read(dir, "README.md")).toContain("## Team notes\n\nNo deploys on Fridays.\n");
    expect(read(dir, "README.md")).toContain(ONCALL);
    expect(read(dir, "src/app.ts")).toContain(TEAM_ROUTE);
    expect(read(dir, "test/team.test.ts")).toBe(TEAM_TEST);
    expect(recorded(dir).version).toBe(LATEST);
    expect(recorded(dir).answers.tier).toBe(2);
    await commitAll(dir, `upgrade to service ${LATEST}`);
  });

  it("the upgraded service's alert rules and unit tests pass promtool, its overlays render, and doctor passes", async () => {
    expect((await run(dir, "promtool", ["check", "rules", "monitoring/alerts.yml"])).exitCode).toBe(0);
    const unit = await run(dir, "promtool", ["test", "rules", "monitoring/alerts.test.yml"]);
    expect(unit.exitCode, unit.all).toBe(0);
    for (const overlay of ["staging", "production"]) {
      const rendered = await run(dir, "kubectl", ["kustomize", `deploy/overlays/${overlay}`]);
      expect(rendered.exitCode, rendered.all).toBe(0);
      expect(rendered.stdout.match(/^kind: ServiceAccount$/gm)).toHaveLength(1);
    }
    const doctor = await runCli(["doctor", dir]);
    expect(doctor.exitCode, String(doctor.stdout)).toBe(0);
  });

  it("the upgraded service installs, passes its tests (the team's included), type-checks and builds", async () => {
    const install = await run(dir, "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], 300_000);
    expect(install.exitCode, install.all).toBe(0);
    const test = await run(dir, "npm", ["test"]);
    expect(test.exitCode, test.all).toBe(0);
    expect(test.all).toContain("test/team.test.ts");
    for (const script of ["typecheck", "build"]) {
      const result = await run(dir, "npm", ["run", script]);
      expect(result.exitCode, `npm run ${script}:\n${result.all}`).toBe(0);
    }
    expect(existsSync(path.join(dir, "dist/server.js"))).toBe(true);
  }, 420_000);
});

describe("service 1.0.0 -> the latest release in one run", () => {
  it("a conflict in the first step stops there: .paved.yml records 1.1.0 and no 2.0.0 migration runs; the next upgrade finishes", async () => {
    const dir = path.join(tempDir("paved-svc-stop-"), "billing-api");
    await newService(dir, "1.0.0");
    edit(dir, "monitoring/alerts.yml", "        for: 10m\n", "        for: 20m\n");
    await commitAll(dir, "team edits");

    const first = await upgrade(dir);
    expect(first.exitCode, first.stderr).toBe(1);
    expect(first.body).toMatchObject({ ok: false, from: "1.0.0", to: "1.1.0", target: LATEST, steps: [{ from: "1.0.0", to: "1.1.0" }] });
    expect(first.body.conflicts.map((c) => c.path)).toEqual(["monitoring/alerts.yml"]);
    expect(first.body.migrations).toEqual([]);
    expect(recorded(dir).version).toBe("1.1.0");
    expect(existsSync(path.join(dir, "docs/runbook.md"))).toBe(true);
    expect(existsSync(path.join(dir, "deploy/base/service-account.yaml"))).toBe(true);

    resolve(dir, "monitoring/alerts.yml", (yours) => yours);
    await commitAll(dir, "upgrade to service 1.1.0");
    const second = await upgrade(dir);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.body).toMatchObject({ ok: true, from: "1.1.0", to: LATEST, steps: stepsFrom("1.1.0") });
    expect(second.body.migrations.map((m) => m.status)).toEqual(["applied", "applied"]);
    expect(read(dir, "monitoring/alerts.yml")).toMatch(/^ {8}for: 20m$/m);
    expect(existsSync(path.join(dir, "docs/runbooks/README.md"))).toBe(true);
  });

  it("without team edits it applies every step in order and yields exactly a fresh render of the latest release with the same answers", async () => {
    const dir = path.join(tempDir("paved-svc-clean-"), "ledger");
    // Non-default answers for every choice, so each conditional file and branch is part of the comparison.
    await newService(dir, "1.0.0", ["ci=gitlab", "database=postgres", "tier=1", "port=9090", "namespace=ledger-prod"]);
    const { exitCode, body, stderr } = await upgrade(dir);
    expect(exitCode, stderr).toBe(0);
    expect(body).toMatchObject({ ok: true, from: "1.0.0", to: LATEST, target: LATEST, conflicts: [] });
    expect(body.steps).toEqual(stepsFrom("1.0.0"));
    expect([...new Set(body.actions.map((a) => a.step))]).toEqual(stepsFrom("1.0.0").map((s) => `${s.from}->${s.to}`));
    expect(body.actions.find((a) => a.path === "monitoring/slo.yaml")).toMatchObject({ action: "create", step: "1.0.0->1.1.0" });
    expect(body.migrations.map((m) => [m.version, m.status])).toEqual([
      ["2.0.0", "applied"],
      ["2.0.0", "applied"],
    ]);

    const answers = recorded(dir).answers;
    expect(answers).toMatchObject({ ci: "gitlab", database: "postgres", tier: 1, port: 9090, namespace: "ledger-prod", logLevel: "info" });
    const answersFile = path.join(tempDir(), "answers.yml");
    writeFileSync(answersFile, stringifyYaml(answers));
    const fresh = path.join(tempDir("paved-svc-fresh-"), "ledger");
    const created = await runCli(["new", "service", fresh, "--version", LATEST, "--answers-file", answersFile, "--no-install"]);
    expect(created.exitCode, String(created.stderr)).toBe(0);

    const withoutGit = (root: string) =>
      Object.fromEntries(Object.entries(snapshotDir(root)).filter(([file]) => file !== ".git/" && !file.startsWith(".git/")));
    expect(listFiles(dir)).toEqual(listFiles(fresh));
    expect(withoutGit(dir)).toEqual(withoutGit(fresh));
    expect(listFiles(dir)).toContain("compose.yaml");
  });
});

/** 2.1.0 (NetworkPolicy, dependency bot, nodeVersion, image tags) from each earlier release, with team edits: static checks only. */
describe.each(["1.0.0", "1.1.0", "2.0.0"])("service %s -> 2.1.0 with team edits", (from) => {
  it("keeps the team's code, tests, README and deploy edits; the new answers take their defaults; overlays render and doctor passes", async () => {
    const dir = path.join(tempDir("paved-svc-21-"), "payments-api");
    await newService(dir, from, ["database=postgres"]);
    edit(dir, "src/app.ts", '  server.get("/metrics"', `${TEAM_ROUTE}  server.get("/metrics"`);
    write(dir, "test/team.test.ts", TEAM_TEST);
    edit(dir, "deploy/base/deployment.yaml", "memory: 256Mi", "memory: 384Mi");
    edit(dir, "README.md", "## Dashboards and alerts\n", "## Team notes\n\nNo deploys on Fridays.\n\n## Dashboards and alerts\n");
    await commitAll(dir, "team edits");

    // From 1.0.0 the 1.1.0 step may stop on a conflict in a file the team did not touch: none here.
    const { exitCode, body, stderr } = await upgrade(dir, ["--to", "2.1.0"]);
    expect(exitCode, stderr + JSON.stringify(body.conflicts)).toBe(0);
    expect(body).toMatchObject({ ok: true, from, to: "2.1.0", conflicts: [] });
    expect(body.migrations.filter((m) => m.version === "2.1.0")).toEqual([]);
    expect(read(dir, "src/app.ts")).toContain(TEAM_ROUTE);
    expect(read(dir, "test/team.test.ts")).toBe(TEAM_TEST);
    expect(read(dir, "deploy/base/deployment.yaml")).toContain("memory: 384Mi");
    expect(read(dir, "README.md")).toContain("## Team notes\n\nNo deploys on Fridays.\n");
    expect(recorded(dir)).toMatchObject({
      version: "2.1.0",
      answers: {
        nodeVersion: "24",
        dependencyBot: "renovate",
        networkPolicy: "enforced",
        ingressNamespace: "ingress-nginx",
        prometheusNamespace: "monitoring",
      },
    });
    expect(read(dir, ".nvmrc")).toBe("24\n");
    expect(listFiles(dir)).toEqual(expect.arrayContaining(["renovate.json", "deploy/base/network-policy.yaml"]));
    for (const overlay of ["staging", "production"]) {
      const rendered = await run(dir, "kubectl", ["kustomize", `deploy/overlays/${overlay}`]);
      expect(rendered.exitCode, rendered.all).toBe(0);
      expect(rendered.stdout).toMatch(/^kind: NetworkPolicy$/m);
      expect(rendered.stdout).toContain("memory: 384Mi");
      expect(rendered.stdout).not.toMatch(/image: \S+:latest$/m);
    }
    const doctor = await runCli(["doctor", dir]);
    expect(doctor.exitCode, String(doctor.stdout)).toBe(0);
  });
});
