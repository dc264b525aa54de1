/**
 * The built-in `service` template, generated with hostile answers for every `ci` x `database` pair and
 * checked with the real tools: promtool, kubectl kustomize, Backstage's catalog model, a GitHub Actions
 * workflow validator, and (for two pairs) npm install / test / build and the running server.
 * The later releases (RELEASES) get the static checks only, for two pairs each; test/e2e/service-upgrade.test.ts
 * installs, tests and builds a service upgraded to the latest one.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import {
  componentEntityV1alpha1Validator,
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  resourceEntityV1alpha1Validator,
  SchemaValidEntityPolicy,
  type Entity,
} from "@backstage/catalog-model";
import { validate as lintDockerfile } from "dockerfile-utils";
import { execa, type ResultPromise } from "execa";
import { parse as parseYaml, parseAllDocuments, stringify as stringifyYaml } from "yaml";
import semver from "semver";
import { beforeAll, describe, expect, it } from "vitest";
import { versionFolders } from "../../src/authoring/release.js";
import { listFiles, ROOT, runCli, tempDir } from "../helpers.js";

/** Quotes, ": ", "#", Handlebars and Actions braces, newlines, a tab, a backslash and non-ASCII. */
const DESCRIPTION =
  'Pays "merchants": fast & safe #1 — {{ not.a.variable }} and ${{ github.token }}\n' +
  "Second line: 'single' quotes, a backslash \\ and a\ttab\n" +
  "naïve café ☕ 日本語 — ünïcödé";

interface Combo {
  ci: "github" | "gitlab";
  database: "none" | "postgres";
  tier: 1 | 2 | 3;
  /** npm install, test, typecheck, build and run the server (slow); the static checks run for every combo. */
  full: boolean;
}

const COMBOS: Combo[] = [
  { ci: "github", database: "none", tier: 1, full: true },
  { ci: "github", database: "postgres", tier: 2, full: false },
  { ci: "gitlab", database: "none", tier: 3, full: false },
  { ci: "gitlab", database: "postgres", tier: 2, full: true },
];

/** Releases after 1.0.0, oldest first, read from templates/service/ (no test hard-codes the latest); the last is the latest. */
const RELEASES = versionFolders(path.join(ROOT, "templates", "service")).filter((v) => v !== "1.0.0");
/** Whether `version` is `since` or later: each release's checks hold for the ones after it. */
const atLeast = (version: string, since: string) => semver.gte(version, since);

/**
 * The day the release after `version` came out (`released:` in its template.yaml). Doctor judged as of that
 * day (`--as-of`) is inside that release's grace period, whatever today's date is.
 */
function nextReleaseDay(version: string): string {
  const all: readonly string[] = ["1.0.0", ...RELEASES];
  const next = all[all.indexOf(version) + 1]!;
  return /^released: (\S+)$/m.exec(readFileSync(path.join(ROOT, "templates", "service", next, "template.yaml"), "utf8"))![1]!;
}

const NAME = "payments-api";
const OWNER = "team-payments";
const NAMESPACE = "payments";
const PORT = 8081;
const REPLICAS = { 1: 3, 2: 2, 3: 1 } as const;
const MAX_REPLICAS = { 1: 12, 2: 6, 3: 3 } as const;

/** Children must not think they run inside this vitest (a nested `npm test` runs its own). */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith("VITEST") || key === "NODE_ENV" || key === "TEST") continue;
    env[key] = value;
  }
  return { ...env, CI: "true", NO_COLOR: "1", ...extra };
}

async function run(cwd: string, file: string, args: string[], options: { env?: Record<string, string>; timeout?: number } = {}) {
  const started = Date.now();
  const result = await execa(file, args, {
    cwd,
    env: childEnv(options.env),
    extendEnv: false,
    reject: false,
    all: true,
    timeout: options.timeout ?? 240_000,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`[service-template] ${path.basename(cwd)}: ${file} ${args.join(" ")} -> exit ${result.exitCode} in ${seconds}s`);
  if (result.exitCode !== 0) console.log(result.all);
  return result;
}

function read(dir: string, file: string): string {
  return readFileSync(path.join(dir, file), "utf8");
}

function yamlDocs(text: string, file: string): unknown[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
    return doc.toJS();
  });
}

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
};

async function kustomize(dir: string, overlay: string): Promise<K8sObject[]> {
  const result = await run(dir, "kubectl", ["kustomize", `deploy/overlays/${overlay}`]);
  expect(result.exitCode, `kubectl kustomize deploy/overlays/${overlay}:\n${result.all}`).toBe(0);
  return yamlDocs(result.stdout, overlay) as K8sObject[];
}

function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  expect(
    found.map((o) => o.metadata.name),
    kind,
  ).toEqual([NAME].map((n) => (kind === "ExternalSecret" ? `${n}-database` : n)));
  return found[0]!;
}

const policies = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function waitForHttp(url: string, child: ResultPromise): Promise<Response> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`the server exited early with ${child.exitCode}`);
    try {
      return await fetch(url);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${url} never answered`);
}

/** A throwaway PostgreSQL cluster from Debian's postgresql package, when it is installed; undefined otherwise. */
async function startPostgres(): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  const bin = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"].find((d) =>
    existsSync(path.join(d, "initdb")),
  );
  if (!bin) return undefined;
  const dir = path.join(tempDir("paved-pg-"), "data");
  const port = await freePort();
  // initdb refuses to run as root: run the server as the package's postgres user then.
  const asRoot = process.getuid?.() === 0;
  const wrap = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
  if (asRoot) await execa("chown", ["postgres", path.dirname(dir)]);
  const init = await execa(...wrap(path.join(bin, "initdb"), ["-D", dir, "-A", "trust", "-U", "app", "--no-sync"]), {
    reject: false,
    all: true,
  });
  if (init.exitCode !== 0) throw new Error(`initdb failed:\n${init.all}`);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = await execa(...wrap(path.join(bin, "pg_ctl"), ["-D", dir, "-o", options, "-w", "-l", path.join(dir, "log"), "start"]), {
    reject: false,
    all: true,
  });
  if (start.exitCode !== 0) throw new Error(`pg_ctl start failed:\n${start.all}`);
  const created = await execa(...wrap(path.join(bin, "createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "app", "service"]), {
    reject: false,
    all: true,
  });
  if (created.exitCode !== 0) throw new Error(`createdb failed:\n${created.all}`);
  return {
    url: `postgres://app@127.0.0.1:${port}/service`,
    stop: async () => {
      await execa(...wrap(path.join(bin, "pg_ctl"), ["-D", dir, "-m", "immediate", "stop"]), { reject: false });
    },
  };
}

describe("service template packaging", () => {
  it("every file of the template ships in the npm package (npm drops files named .gitignore)", async () => {
    const pack = await execa("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, env: childEnv() });
    const packed = (JSON.parse(pack.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    for (const version of ["1.0.0", ...RELEASES]) {
      const templateDir = path.join(ROOT, "templates", "service", version);
      const expected = listFiles(templateDir).map((f) => `templates/service/${version}/${f}`);
      expect(expected).toContain(`templates/service/${version}/files/{{lower '.gitignore'}}`);
      expect(packed.filter((f) => f.startsWith(`templates/service/${version}/`)).sort()).toEqual(expected.sort());
    }
  });
});

for (const combo of COMBOS) {
  const label = `ci=${combo.ci} database=${combo.database} tier=${combo.tier}`;
  const postgres = combo.database === "postgres";

  describe(`service template: ${label}`, () => {
    let dir = "";

    beforeAll(async () => {
      dir = path.join(tempDir(), `${combo.ci}-${combo.database}`);
      const result = await runCli([
        "new",
        "service",
        dir,
        "--no-install",
        "--version",
        "1.0.0",
        "--set",
        `name=${NAME}`,
        "--set",
        `description=${DESCRIPTION}`,
        "--set",
        `owner=${OWNER}`,
        "--set",
        `port=${PORT}`,
        "--set",
        `ci=${combo.ci}`,
        "--set",
        `database=${combo.database}`,
        "--set",
        `tier=${combo.tier}`,
        "--set",
        `namespace=${NAMESPACE}`,
      ]);
      expect(result.exitCode, String(result.stderr)).toBe(0);
    });

    it("writes the golden path's files, and only the ones the answers ask for", () => {
      const files = listFiles(dir);
      for (const file of [
        ".gitignore",
        ".dockerignore",
        ".env.example",
        ".nvmrc",
        ".paved.yml",
        "CODEOWNERS",
        "Dockerfile",
        "README.md",
        "catalog-info.yaml",
        "docs/runbook.md",
        "package.json",
        "tsconfig.json",
        "tsconfig.build.json",
        "src/server.ts",
        "src/app.ts",
        "src/config.ts",
        "src/metrics.ts",
        "test/app.test.ts",
        "monitoring/alerts.yml",
        "monitoring/alerts.test.yml",
        "monitoring/dashboard.json",
        "deploy/base/kustomization.yaml",
        "deploy/overlays/staging/kustomization.yaml",
        "deploy/overlays/production/kustomization.yaml",
      ]) {
        expect(files, file).toContain(file);
      }
      expect(files.includes(".github/workflows/ci.yml")).toBe(combo.ci === "github");
      expect(files.includes(".github/workflows/deploy.yml")).toBe(combo.ci === "github");
      expect(files.includes(".gitlab-ci.yml")).toBe(combo.ci === "gitlab");
      for (const file of ["compose.yaml", "migrations/001_init.sql", "src/db.ts", "src/migrate.ts", "deploy/base/external-secret.yaml"]) {
        expect(files.includes(file), file).toBe(postgres);
      }
      const pkg = JSON.parse(read(dir, "package.json")) as { dependencies: Record<string, string>; scripts: Record<string, string> };
      expect(Object.keys(pkg.scripts)).toEqual(expect.arrayContaining(["dev", "build", "start", "test", "typecheck"]));
      expect("pg" in pkg.dependencies).toBe(postgres);
      expect(read(dir, "CODEOWNERS")).toBe(`* @${OWNER}\n`);
      expect(read(dir, ".gitignore").split("\n")).toEqual(expect.arrayContaining(["node_modules/", "dist/", ".env"]));
      for (const file of files) {
        expect(read(dir, file), `${file} keeps a Handlebars escape`).not.toContain("\\{{");
      }
    });

    it("every YAML and JSON file parses, and the description comes back exactly as given", () => {
      const files = listFiles(dir);
      for (const file of files.filter((f) => /\.ya?ml$/.test(f) || f === ".paved.yml")) {
        expect(() => yamlDocs(read(dir, file), file), file).not.toThrow();
      }
      for (const file of files.filter((f) => f.endsWith(".json"))) {
        expect(() => JSON.parse(read(dir, file)), file).not.toThrow();
      }
      expect((JSON.parse(read(dir, "package.json")) as { description: string }).description).toBe(DESCRIPTION);
      expect((JSON.parse(read(dir, "monitoring/dashboard.json")) as { description: string }).description).toBe(DESCRIPTION);
      const catalog = yamlDocs(read(dir, "catalog-info.yaml"), "catalog-info.yaml") as Entity[];
      expect(catalog[0]!.metadata.description).toBe(DESCRIPTION);
      expect((parseYaml(read(dir, ".paved.yml")) as { answers: { description: string } }).answers.description).toBe(DESCRIPTION);
      // TypeScript gets a JSON string literal; read it back as one.
      const literal = /description: (".*"),$/m.exec(read(dir, "src/service.ts"));
      expect(literal).not.toBeNull();
      expect(JSON.parse(literal![1]!)).toBe(DESCRIPTION);
      expect(read(dir, "README.md")).toContain(`# ${NAME}\n\n${DESCRIPTION}\n\n`);
    });

    it("alert rules pass promtool check rules and their unit tests, and link every alert to a runbook section", async () => {
      const check = await run(dir, "promtool", ["check", "rules", "monitoring/alerts.yml"]);
      expect(check.exitCode, check.all).toBe(0);
      const unit = await run(dir, "promtool", ["test", "rules", "monitoring/alerts.test.yml"]);
      expect(unit.exitCode, unit.all).toBe(0);

      const rules = parseYaml(read(dir, "monitoring/alerts.yml")) as { groups: Array<{ rules: Array<Record<string, any>> }> };
      const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);
      expect(alerts.map((a) => a.alert)).toEqual([
        "ErrorBudgetBurnFast",
        "ErrorBudgetBurnSlow",
        "LatencyP99High",
        "PodRestarting",
        "TargetDown",
      ]);
      const runbook = read(dir, "docs/runbook.md");
      const blob = combo.ci === "gitlab" ? "/-/blob/main" : "/blob/main";
      const repository = `https://${combo.ci === "gitlab" ? "gitlab.com" : "github.com"}/${OWNER}/${NAME}`;
      for (const alert of alerts) {
        expect(alert.annotations.runbook_url).toBe(`${repository}${blob}/docs/runbook.md#${String(alert.alert).toLowerCase()}`);
        expect(runbook).toContain(`\n## ${alert.alert}\n`);
        expect(alert.labels.tier).toBe(String(combo.tier));
      }
      const burn = alerts.find((a) => a.alert === "ErrorBudgetBurnFast")!;
      expect(burn.expr).toContain(`> (14.4 * ${{ 1: "0.001", 2: "0.005", 3: "0.01" }[combo.tier]})`);

      const dashboard = JSON.parse(read(dir, "monitoring/dashboard.json")) as { panels: Array<{ type: string; title: string }> };
      expect(dashboard.panels.filter((p) => p.type === "row").map((p) => p.title)).toEqual(["Traffic", "Errors", "Latency", "Saturation"]);
    });

    it("kubectl kustomize renders both overlays: probes, non-root read-only pods, HPA, PDB, ServiceMonitor, secrets by name", async () => {
      for (const overlay of ["staging", "production"] as const) {
        const objects = await kustomize(dir, overlay);
        for (const object of objects) {
          expect(object.metadata.namespace, `${object.kind} namespace`).toBe(NAMESPACE);
          expect(object.metadata.labels?.environment, `${object.kind} environment label`).toBe(overlay);
        }
        expect(
          objects.filter((o) => o.kind === "Secret"),
          "no Secret values in the manifests",
        ).toEqual([]);

        const deployment = only(objects, "Deployment");
        const pod = deployment.spec.template.spec;
        const app = pod.containers[0];
        expect(app.ports).toEqual([{ name: "http", containerPort: PORT, protocol: "TCP" }]);
        expect(app.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
        expect(app.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
        expect(app.resources.requests).toBeDefined();
        expect(app.resources.limits.memory).toBeDefined();
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        expect(app.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        expect(app.image).toBe(`${NAME}:latest`);
        const env = Object.fromEntries(
          app.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [e.name, e.value ?? e.valueFrom]),
        );
        expect(env.PORT).toBe(String(PORT));
        expect(env.LOG_LEVEL).toBe(overlay === "staging" ? "debug" : "info");
        expect(deployment.spec.replicas, "the autoscaler owns the replica count").toBeUndefined();

        const hpa = only(objects, "HorizontalPodAutoscaler");
        expect(hpa.spec.minReplicas).toBe(overlay === "staging" ? 1 : REPLICAS[combo.tier]);
        expect(hpa.spec.maxReplicas).toBe(overlay === "staging" ? 2 : MAX_REPLICAS[combo.tier]);
        const pdb = only(objects, "PodDisruptionBudget");
        if (overlay === "staging" || combo.tier === 3) expect(pdb.spec).toMatchObject({ maxUnavailable: 1 });
        else expect(pdb.spec).toMatchObject({ minAvailable: combo.tier === 1 ? 2 : 1 });
        expect("minAvailable" in pdb.spec && "maxUnavailable" in pdb.spec).toBe(false);

        const service = only(objects, "Service");
        expect(service.spec.ports[0]).toMatchObject({ name: "http", targetPort: "http" });
        const monitor = only(objects, "ServiceMonitor");
        expect(monitor.spec.endpoints[0]).toMatchObject({ port: "http", path: "/metrics" });

        if (postgres) {
          const secret = only(objects, "ExternalSecret");
          expect(secret.spec.target.name).toBe(`${NAME}-database`);
          expect(env.DATABASE_URL).toEqual({ secretKeyRef: { name: `${NAME}-database`, key: "DATABASE_URL" } });
          expect(pod.initContainers[0].command).toEqual(["node", "dist/migrate.js"]);
        } else {
          expect(objects.some((o) => o.kind === "ExternalSecret")).toBe(false);
          expect(env.DATABASE_URL).toBeUndefined();
        }
      }
    });

    it("catalog-info.yaml validates with Backstage's catalog model", async () => {
      const entities = yamlDocs(read(dir, "catalog-info.yaml"), "catalog-info.yaml") as Entity[];
      expect(entities.map((e) => e.kind)).toEqual(postgres ? ["Component", "Resource"] : ["Component"]);
      for (const entity of entities) {
        const checked = await policies.enforce(entity);
        expect(checked).toBeDefined();
        const validator = entity.kind === "Component" ? componentEntityV1alpha1Validator : resourceEntityV1alpha1Validator;
        expect(await validator.check(entity)).toBe(true);
      }
      const component = entities[0]!;
      expect(component.metadata.name).toBe(NAME);
      expect(component.spec).toMatchObject({ type: "service", owner: OWNER, system: NAME, lifecycle: "experimental" });
      expect(component.metadata.links?.map((l) => l.title)).toEqual(expect.arrayContaining(["Runbook", "Source"]));
    });

    if (combo.ci === "github") {
      it("GitHub workflows validate against the workflow schema and run what the golden path asks", () => {
        for (const file of [".github/workflows/ci.yml", ".github/workflows/deploy.yml"]) {
          const state = validateWorkflow(read(dir, file));
          expect(state.errors, `${file}: ${JSON.stringify(state.errors, null, 2)}`).toEqual([]);
        }
        const ci = parseYaml(read(dir, ".github/workflows/ci.yml")) as { jobs: Record<string, { steps: Array<Record<string, any>> }> };
        const steps = Object.values(ci.jobs).flatMap((job) => job.steps);
        const runs = steps.map((s) => s.run ?? "").join("\n");
        expect(steps.find((s) => String(s.uses).startsWith("actions/setup-node"))?.with.cache).toBe("npm");
        for (const command of [
          "npm ci",
          "npm run typecheck",
          "npm test",
          "npm run build",
          "paved doctor --format github",
          "kubectl kustomize",
          "promtool",
        ]) {
          expect(runs, command).toContain(command);
        }
        expect(steps.some((s) => String(s.uses).startsWith("docker/build-push-action"))).toBe(true);

        const deploy = parseYaml(read(dir, ".github/workflows/deploy.yml")) as { on: any; jobs: Record<string, any> };
        expect(deploy.on.push).toEqual({ branches: ["main"], tags: ["v*.*.*"] });
        expect(deploy.jobs.staging).toMatchObject({ if: "github.ref == 'refs/heads/main'", environment: { name: "staging" } });
        expect(deploy.jobs.production).toMatchObject({ if: "startsWith(github.ref, 'refs/tags/v')", environment: { name: "production" } });
      });
    } else {
      it(".gitlab-ci.yml has the same stages: test, doctor, image, staging on main, production on a tag", () => {
        const pipeline = parseYaml(read(dir, ".gitlab-ci.yml")) as Record<string, any>;
        expect(pipeline.stages).toEqual(["test", "build", "deploy"]);
        const scripts = Object.values(pipeline)
          .flatMap((job) => [...(job?.before_script ?? []), ...(job?.script ?? [])])
          .join("\n");
        for (const command of [
          "npm ci",
          "npm run typecheck",
          "npm test",
          "npm run build",
          "paved doctor --format gitlab",
          "docker build",
          "kubectl kustomize",
          "promtool",
        ]) {
          expect(scripts, command).toContain(command);
        }
        expect(pipeline.test.extends).toBe(".npm");
        expect(pipeline[".npm"].cache.paths).toEqual([".npm/"]);
        expect(pipeline["deploy-staging"]).toMatchObject({
          extends: ".deploy",
          environment: { name: "staging" },
          rules: [{ if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" }],
        });
        expect(pipeline["deploy-production"]).toMatchObject({ extends: ".deploy", environment: { name: "production" } });
        expect(pipeline["deploy-production"].rules[0].if).toMatch(/\$CI_COMMIT_TAG/);
      });
    }

    it("passes paved doctor as generated", async () => {
      // 1.0.0 is no longer the latest release: judged as of the next release's day, it is inside the grace period.
      const doctor = await runCli(["doctor", dir, "--as-of", nextReleaseDay("1.0.0")]);
      expect(doctor.exitCode, String(doctor.stdout) + String(doctor.stderr)).toBe(0);
    });

    it("the Dockerfile is multi-stage, installs production deps only, runs as non-root with a curl-free HEALTHCHECK", () => {
      const dockerfile = read(dir, "Dockerfile");
      // No Docker engine or hadolint here: dockerfile-utils (the VS Code Docker language service's linter) checks syntax and flags.
      expect(lintDockerfile(dockerfile).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
      const instructions = dockerfile
        .replace(/\\\n/g, " ")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith("#"));
      const froms = instructions.filter((line) => /^FROM /.test(line));
      expect(froms.length).toBeGreaterThanOrEqual(2);
      for (const from of froms) expect(from).toMatch(/^FROM node:\$\{NODE_VERSION\}-alpine AS \w+$/);
      expect(dockerfile).toContain("npm ci --omit=dev");
      const finalStage = instructions.slice(instructions.lastIndexOf(froms.at(-1)!));
      const user = finalStage.filter((line) => line.startsWith("USER ")).at(-1);
      expect(user).toBeDefined();
      expect(user).not.toMatch(/^USER (root|0)(:|$)/);
      const healthcheck = finalStage.find((line) => line.startsWith("HEALTHCHECK "));
      expect(healthcheck).toMatch(/CMD \["node", "-e", ".*\/healthz/);
      expect(finalStage.some((line) => line.startsWith('CMD ["node", "dist/server.js"]'))).toBe(true);
      // Every local COPY source exists in the repository (package-lock.json comes from the postCreate npm install) and is not docker-ignored.
      const ignored = read(dir, ".dockerignore")
        .split("\n")
        .filter((line) => line && !line.startsWith("#"));
      for (const line of instructions.filter((l) => l.startsWith("COPY ") && !l.includes("--from="))) {
        const sources = line.split(/\s+/).slice(1, -1);
        for (const source of sources) {
          if (source !== "package-lock.json") expect(existsSync(path.join(dir, source)), `COPY ${source}`).toBe(true);
          expect(ignored, `.dockerignore hides ${source}`).not.toContain(source);
        }
      }
      expect(ignored).toEqual(expect.arrayContaining(["node_modules", ".env", ".git"]));
    });

    if (combo.full) {
      describe("npm install, test, build, start", () => {
        beforeAll(async () => {
          const install = await run(dir, "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], { timeout: 300_000 });
          expect(install.exitCode, install.all).toBe(0);
        }, 320_000);

        it("npm test, npm run typecheck and npm run build pass", async () => {
          for (const script of ["test", "typecheck", "build"]) {
            const result = await run(dir, "npm", script === "test" ? ["test"] : ["run", script]);
            expect(result.exitCode, `npm run ${script}:\n${result.all}`).toBe(0);
          }
          expect(statSync(path.join(dir, "dist", "server.js")).isFile()).toBe(true);
          expect(existsSync(path.join(dir, "package-lock.json"))).toBe(true);
        }, 300_000);

        it("the built server answers /healthz, /metrics in Prometheus text format and / with the description, then stops on SIGTERM", async () => {
          const database = postgres ? await startPostgres() : undefined;
          try {
            const env: Record<string, string> = {
              PORT: String(await freePort()),
              HOST: "127.0.0.1",
              SHUTDOWN_DELAY_MS: "0",
              LOG_LEVEL: "warn",
            };
            if (postgres) {
              // With no PostgreSQL server installed the service must still start and be live, but not ready.
              env.DATABASE_URL = database?.url ?? "postgres://app@127.0.0.1:1/service";
              if (database) {
                const migrateEnv = { ...env, LOG_LEVEL: "info" };
                const migrate = await run(dir, "node", ["dist/migrate.js"], { env: migrateEnv });
                expect(migrate.exitCode, migrate.all).toBe(0);
                expect(migrate.stdout).toContain('"applied":["001_init.sql"]');
                const again = await run(dir, "node", ["dist/migrate.js"], { env: migrateEnv });
                expect(again.stdout).toContain("database is up to date");
              } else {
                console.log(
                  "[service-template] no PostgreSQL server binaries (Debian postgresql); checking readiness against an unreachable database only",
                );
              }
            }
            const base = `http://127.0.0.1:${env.PORT}`;
            const child = execa("node", ["dist/server.js"], { cwd: dir, env: childEnv(env), extendEnv: false, reject: false, all: true });
            try {
              const health = await waitForHttp(`${base}/healthz`, child);
              expect(health.status).toBe(200);
              expect(await health.json()).toEqual({ status: "ok" });

              const ready = await fetch(`${base}/readyz`);
              expect(ready.status).toBe(postgres && !database ? 503 : 200);

              const root = (await (await fetch(`${base}/`)).json()) as { name: string; description: string };
              expect(root).toEqual({ name: NAME, description: DESCRIPTION });

              const metrics = await fetch(`${base}/metrics`);
              expect(metrics.status).toBe(200);
              expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
              const body = await metrics.text();
              expect(body).toContain("# TYPE http_request_duration_seconds histogram");
              expect(body).toMatch(/^http_request_duration_seconds_bucket\{le="\+Inf",route="\/healthz",status="200"\} 1$/m);
              expect(body).toMatch(/^http_request_duration_seconds_count\{route="\/",status="200"\} 1$/m);
              expect(body).toContain("process_cpu_user_seconds_total");
              // promtool parses the exposition: exit 1 is a format error; 3 is only its naming lint, which
              // prom-client's own nodejs_active_*_total gauges trip.
              const lint = await execa("promtool", ["check", "metrics"], { input: body, reject: false, all: true });
              expect(lint.exitCode, lint.all).not.toBe(1);
              for (const line of lint.all.split("\n").filter(Boolean)) {
                expect(line).toMatch(/^nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/);
              }

              child.kill("SIGTERM");
              const exited = await child;
              expect(exited.exitCode, exited.all).toBe(0);
              expect(exited.all).not.toContain('"level":"error"');
            } finally {
              if (child.exitCode === null) child.kill("SIGKILL");
            }
          } finally {
            await database?.stop();
          }
        }, 120_000);
      });
    }
  });
}

const runbookOf = (version: string) => (atLeast(version, "2.0.0") ? "docs/runbooks/README.md" : "docs/runbook.md");
const SLO_OBJECTIVES = { 1: [99.9, 99], 2: [99.5, 99], 3: [99, 95] } as const;
const LATENCY_BUCKET = { 1: "0.25", 2: "0.5", 3: "1" } as const;

for (const version of RELEASES) {
  const latest = version === RELEASES.at(-1);
  for (const combo of [
    { ci: "github", database: "none", tier: 1, logLevel: "warn" },
    { ci: "gitlab", database: "postgres", tier: 3, logLevel: "info" },
  ] as const) {
    describe(`service template ${version} (static): ci=${combo.ci} database=${combo.database} tier=${combo.tier}`, () => {
      let dir = "";
      const postgres = combo.database === "postgres";
      const runbook = runbookOf(version);

      beforeAll(async () => {
        dir = path.join(tempDir(), `${version}-${combo.ci}-${combo.database}`);
        const result = await runCli([
          "new",
          "service",
          dir,
          "--no-install",
          "--version",
          version,
          "--set",
          `name=${NAME}`,
          "--set",
          `description=${DESCRIPTION}`,
          "--set",
          `owner=${OWNER}`,
          "--set",
          `port=${PORT}`,
          "--set",
          `ci=${combo.ci}`,
          "--set",
          `database=${combo.database}`,
          "--set",
          `tier=${combo.tier}`,
          "--set",
          `namespace=${NAMESPACE}`,
          "--set",
          `logLevel=${combo.logLevel}`,
        ]);
        expect(result.exitCode, String(result.stderr)).toBe(0);
      });

      it("has the release's layout; every YAML and JSON file parses; no Handlebars escape is left", () => {
        const files = listFiles(dir);
        for (const file of [
          runbook,
          "monitoring/slo.yaml",
          "monitoring/alerts.yml",
          "monitoring/alerts.test.yml",
          "deploy/base/deployment.yaml",
        ])
          expect(files, file).toContain(file);
        expect(files.includes("docs/runbook.md")).toBe(!atLeast(version, "2.0.0"));
        expect(files.includes("deploy/base/service-account.yaml")).toBe(!atLeast(version, "2.0.0"));
        for (const file of files) {
          expect(read(dir, file), `${file} keeps a Handlebars escape`).not.toContain("\\{{");
          if (/\.ya?ml$/.test(file)) expect(() => yamlDocs(read(dir, file), file), file).not.toThrow();
          if (file.endsWith(".json")) expect(() => JSON.parse(read(dir, file)), file).not.toThrow();
        }
        expect(read(dir, "src/config.ts")).toContain(`.default("${combo.logLevel}")`);
        const node = atLeast(version, "2.0.0") ? 24 : 22;
        expect(read(dir, ".nvmrc")).toBe(`${node}\n`);
        // From 2.1.0 the base image is named once, literally, so Renovate can pin its digest.
        expect(read(dir, "Dockerfile")).toContain(
          atLeast(version, "2.1.0") ? `\nFROM node:${node}-alpine AS base\n` : `ARG NODE_VERSION=${node}\n`,
        );
        expect(lintDockerfile(read(dir, "Dockerfile")).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
        if (combo.ci === "github") {
          for (const file of [".github/workflows/ci.yml", ".github/workflows/deploy.yml"]) {
            const state = validateWorkflow(read(dir, file));
            expect(state.errors, `${file}: ${JSON.stringify(state.errors, null, 2)}`).toEqual([]);
          }
          expect(read(dir, ".github/workflows/ci.yml")).toContain("run: npm audit --omit=dev --audit-level=high");
        } else {
          const pipeline = parseYaml(read(dir, ".gitlab-ci.yml")) as Record<string, any>;
          expect(pipeline.test.script).toContain("npm audit --omit=dev --audit-level=high");
          expect(pipeline.slo.script).toEqual(["sloth validate -i monitoring/slo.yaml"]);
        }
      });

      it("alert rules pass promtool (check and unit tests, incl. the latency and restart thresholds) and link to the runbook", async () => {
        const check = await run(dir, "promtool", ["check", "rules", "monitoring/alerts.yml"]);
        expect(check.exitCode, check.all).toBe(0);
        const unit = await run(dir, "promtool", ["test", "rules", "monitoring/alerts.test.yml"]);
        expect(unit.exitCode, unit.all).toBe(0);
        const rules = parseYaml(read(dir, "monitoring/alerts.yml")) as { groups: Array<{ rules: Array<Record<string, any>> }> };
        const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);
        const text = read(dir, runbook);
        const blob = combo.ci === "gitlab" ? "/-/blob/main" : "/blob/main";
        for (const alert of alerts) {
          expect(alert.annotations.runbook_url).toBe(
            `https://${combo.ci === "gitlab" ? "gitlab.com" : "github.com"}/${OWNER}/${NAME}${blob}/${runbook}#${String(alert.alert).toLowerCase()}`,
          );
          expect(text).toContain(`\n## ${alert.alert}\n`);
        }
        expect(alerts.find((a) => a.alert === "LatencyP99High")!.for).toBe("15m");
        expect(alerts.find((a) => a.alert === "PodRestarting")!.expr).toContain(`[30m]) > ${{ 1: 2, 2: 3, 3: 5 }[combo.tier]}`);
      });

      it("monitoring/slo.yaml is a Sloth prometheus/v1 spec with the tier's objectives and valid PromQL", async () => {
        const spec = parseYaml(read(dir, "monitoring/slo.yaml")) as {
          version: string;
          service: string;
          labels: Record<string, string>;
          slos: Array<{
            name: string;
            objective: number;
            sli: { events: { error_query: string; total_query: string } };
            alerting: Record<string, any>;
          }>;
        };
        expect(spec).toMatchObject({ version: "prometheus/v1", service: NAME, labels: { team: OWNER, tier: String(combo.tier) } });
        expect(spec.slos.map((s) => [s.name, s.objective])).toEqual([
          ["requests-availability", SLO_OBJECTIVES[combo.tier][0]],
          ["requests-latency", SLO_OBJECTIVES[combo.tier][1]],
        ]);
        expect(spec.slos[1]!.sli.events.error_query).toContain(`le="${LATENCY_BUCKET[combo.tier]}"`);
        // No Sloth binary here: promtool checks every query, with Sloth's {{.window}} replaced as Sloth would.
        const recording = spec.slos.flatMap((slo) =>
          (["error_query", "total_query"] as const).map((key) => {
            expect(slo.sli.events[key]).toContain("[{{.window}}]");
            expect(slo.alerting.page_alert).toEqual({ disable: true });
            return { record: `slo:${slo.name.replaceAll("-", "_")}:${key}`, expr: slo.sli.events[key].replaceAll("{{.window}}", "5m") };
          }),
        );
        const file = path.join(tempDir(), "slo-queries.yml");
        writeFileSync(file, stringifyYaml({ groups: [{ name: "slo", rules: recording }] }));
        const check = await run(dir, "promtool", ["check", "rules", file]);
        expect(check.exitCode, check.all).toBe(0);
      });

      it("kubectl kustomize renders both overlays: one ServiceAccount, LOG_LEVEL from the answer (debug on staging)", async () => {
        for (const overlay of ["staging", "production"] as const) {
          const objects = await kustomize(dir, overlay);
          const accounts = objects.filter((o) => o.kind === "ServiceAccount");
          expect(accounts.map((o) => [o.metadata.name, o.metadata.namespace, (o as any).automountServiceAccountToken])).toEqual([
            [NAME, NAMESPACE, false],
          ]);
          const deployment = only(objects, "Deployment");
          expect(deployment.spec.template.spec.serviceAccountName).toBe(NAME);
          const app = deployment.spec.template.spec.containers[0];
          const env = Object.fromEntries(app.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
          expect(env.LOG_LEVEL).toBe(overlay === "staging" ? "debug" : combo.logLevel);
          expect(env.PORT).toBe(String(PORT));
          expect(objects.some((o) => o.kind === "ExternalSecret")).toBe(postgres);
        }
      });

      it(`passes paved doctor as generated${latest ? "" : " (inside the grace period for the newer release)"}`, async () => {
        const doctor = await runCli(["doctor", dir, ...(latest ? [] : ["--as-of", nextReleaseDay(version)])]);
        expect(doctor.exitCode, String(doctor.stdout) + String(doctor.stderr)).toBe(0);
      });
    });
  }
}

/** What 2.1.0 added, for every release from 2.1.0 on: static checks with the real validators, no npm install. */
for (const version of RELEASES.filter((v) => atLeast(v, "2.1.0"))) {
  const latest = version === RELEASES.at(-1);
  for (const combo of [
    { ci: "github", database: "none", tier: 1, nodeVersion: "24", dependencyBot: "renovate", networkPolicy: "enforced" },
    { ci: "github", database: "postgres", tier: 2, nodeVersion: "22", dependencyBot: "dependabot", networkPolicy: "none" },
    { ci: "gitlab", database: "postgres", tier: 3, nodeVersion: "22", dependencyBot: "renovate", networkPolicy: "enforced" },
  ] as const) {
    describe(`service template ${version} (2.1.0 features): ${Object.entries(combo)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}`, () => {
      let dir = "";
      const postgres = combo.database === "postgres";
      beforeAll(async () => {
        dir = path.join(tempDir(), `${version}-${combo.ci}-${combo.nodeVersion}`);
        const result = await runCli([
          "new",
          "service",
          dir,
          "--no-install",
          "--version",
          version,
          "--set",
          `name=${NAME}`,
          "--set",
          `owner=${OWNER}`,
          "--set",
          `port=${PORT}`,
          "--set",
          `namespace=${NAMESPACE}`,
          ...Object.entries(combo).flatMap(([k, v]) => ["--set", `${k}=${v}`]),
          ...(combo.networkPolicy === "enforced" && combo.ci === "gitlab"
            ? ["--set", "ingressNamespace=traefik", "--set", "prometheusNamespace=observability"]
            : []),
        ]);
        expect(result.exitCode, String(result.stderr)).toBe(0);
      });

      it("NetworkPolicy: ingress only from the ingress controller and Prometheus namespaces; egress to DNS and, with a database, PostgreSQL", async () => {
        const [ingressNs, promNs] = combo.ci === "gitlab" ? ["traefik", "observability"] : ["ingress-nginx", "monitoring"];
        for (const overlay of ["staging", "production"] as const) {
          const objects = await kustomize(dir, overlay);
          const policies = objects.filter((o) => o.kind === "NetworkPolicy");
          if (combo.networkPolicy === "none") {
            expect(policies).toEqual([]);
            continue;
          }
          expect(policies.map((p) => [p.metadata.name, p.metadata.namespace])).toEqual([[NAME, NAMESPACE]]);
          const spec = policies[0]!.spec;
          expect(spec.podSelector).toEqual({ matchLabels: { "app.kubernetes.io/name": NAME } });
          expect(spec.policyTypes).toEqual(["Ingress", "Egress"]);
          expect(spec.ingress).toHaveLength(1);
          expect(spec.ingress[0].from.map((f: any) => f.namespaceSelector.matchLabels["kubernetes.io/metadata.name"])).toEqual([
            ingressNs,
            promNs,
          ]);
          // The named port is the app container's.
          expect(spec.ingress[0].ports).toEqual([{ port: "http", protocol: "TCP" }]);
          const deployment = only(objects, "Deployment");
          expect(deployment.spec.template.spec.containers[0].ports.map((p: any) => p.name)).toContain("http");
          const egressPorts = spec.egress.map((rule: any) => rule.ports.map((p: any) => `${p.port}/${p.protocol}`).join(","));
          expect(egressPorts).toEqual(["53/UDP,53/TCP", ...(postgres ? ["5432/TCP"] : [])]);
          expect(spec.egress[0].to[0].podSelector.matchLabels).toEqual({ "k8s-app": "kube-dns" });
        }
      });

      it("availability by tier: replicas, disruption budget, spread over zones and nodes; fast burns page for tiers 1-2", async () => {
        const objects = await kustomize(dir, "production");
        expect(only(objects, "HorizontalPodAutoscaler").spec.minReplicas).toBe(REPLICAS[combo.tier]);
        const pdb = only(objects, "PodDisruptionBudget").spec;
        if (combo.tier === 3) expect(pdb.maxUnavailable).toBe(1);
        else expect(pdb.minAvailable).toBeGreaterThanOrEqual(1);
        const spread = only(objects, "Deployment").spec.template.spec.topologySpreadConstraints.map((c: any) => c.topologyKey);
        expect(spread).toEqual(["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
        const rules = (
          parseYaml(read(dir, "monitoring/alerts.yml")) as { groups: Array<{ rules: Array<Record<string, any>> }> }
        ).groups.flatMap((g) => g.rules);
        expect(rules.find((r) => r.alert === "ErrorBudgetBurnFast")!.labels.severity).toBe(combo.tier <= 2 ? "critical" : "warning");
      });

      it("images: an explicit tag in every overlay (never latest) that the deploy job replaces", async () => {
        for (const overlay of ["staging", "production"] as const) {
          const objects = await kustomize(dir, overlay);
          const spec = only(objects, "Deployment").spec.template.spec;
          for (const container of [...(spec.initContainers ?? []), ...spec.containers])
            expect(container.image).toBe(`${NAME}:set-by-deploy`);
        }
        const deploy = combo.ci === "github" ? read(dir, ".github/workflows/deploy.yml") : read(dir, ".gitlab-ci.yml");
        expect(deploy).toContain(`kustomize edit set image "${NAME}=$IMAGE"`);
      });

      it("dependency updates: the chosen bot's config, minor and patch grouped, digests left to the bot", () => {
        const files = listFiles(dir);
        expect(files.includes("renovate.json")).toBe(combo.dependencyBot === "renovate");
        expect(files.includes(".github/dependabot.yml")).toBe(combo.dependencyBot === "dependabot" && combo.ci === "github");
        if (combo.dependencyBot === "renovate") {
          const config = JSON.parse(read(dir, "renovate.json")) as { extends: string[]; packageRules: Array<Record<string, any>> };
          expect(config.extends).toEqual(
            expect.arrayContaining(["config:recommended", "helpers:pinGitHubActionDigests", "docker:pinDigests"]),
          );
          expect(config.packageRules).toContainEqual(
            expect.objectContaining({ matchUpdateTypes: expect.arrayContaining(["minor", "patch"]), groupName: expect.any(String) }),
          );
        } else {
          const config = parseYaml(read(dir, ".github/dependabot.yml")) as { version: number; updates: Array<Record<string, any>> };
          expect(config.version).toBe(2);
          expect(config.updates.map((u) => u["package-ecosystem"])).toEqual(["npm", "github-actions", "docker"]);
          expect(config.updates[0]!.groups["minor-and-patch"]["update-types"]).toEqual(["minor", "patch"]);
        }
        // No digest is written by the template: the bot writes real ones.
        for (const file of files) expect(read(dir, file), file).not.toMatch(/sha256:[0-9a-f]{64}/);
      });

      it("CI scans the image with Trivy and the code with CodeQL (SAST on GitLab); workflows validate", () => {
        if (combo.ci === "github") {
          for (const file of [".github/workflows/ci.yml", ".github/workflows/deploy.yml"]) {
            const state = validateWorkflow(read(dir, file));
            expect(state.errors, `${file}: ${JSON.stringify(state.errors, null, 2)}`).toEqual([]);
          }
          const ci = parseYaml(read(dir, ".github/workflows/ci.yml")) as {
            jobs: Record<string, { permissions?: Record<string, string>; steps: Array<Record<string, any>> }>;
          };
          const trivy = ci.jobs.image!.steps.find((s) => String(s.uses).startsWith("aquasecurity/trivy-action@"))!;
          expect(trivy.with).toMatchObject({ "image-ref": `${NAME}:ci`, "exit-code": "1" });
          expect(ci.jobs.image!.steps.find((s) => String(s.uses).startsWith("docker/build-push-action@"))!.with.load).toBe(true);
          expect(ci.jobs.codeql!.steps.map((s) => String(s.uses).replace(/@.*/, ""))).toEqual([
            "actions/checkout",
            "github/codeql-action/init",
            "github/codeql-action/analyze",
          ]);
          expect(ci.jobs.codeql!.permissions).toMatchObject({ "security-events": "write" });
        } else {
          const pipeline = parseYaml(read(dir, ".gitlab-ci.yml")) as Record<string, any>;
          expect(pipeline.include).toContainEqual({ template: "Jobs/SAST.gitlab-ci.yml" });
          expect(pipeline.stages).toEqual(["test", "build", "scan", "deploy"]);
          expect(pipeline["image-scan"].script[0]).toMatch(/^trivy image --exit-code 1 .*"\$IMAGE"$/);
        }
      });

      it("Node.js versions agree: .nvmrc, engines, @types/node, the base image and CI follow nodeVersion", () => {
        const node = combo.nodeVersion;
        expect(read(dir, ".nvmrc")).toBe(`${node}\n`);
        const pkg = JSON.parse(read(dir, "package.json")) as { engines: { node: string }; devDependencies: Record<string, string> };
        expect(pkg.engines.node).toMatch(new RegExp(`^>=${node}(\\.|$)`));
        expect(semver.minVersion(pkg.devDependencies["@types/node"]!)!.major).toBe(Number(node));
        const froms = read(dir, "Dockerfile")
          .split("\n")
          .filter((l) => l.startsWith("FROM "));
        expect(froms[0]).toBe(`FROM node:${node}-alpine AS base`);
        expect(froms.slice(1).every((l) => /^FROM base AS \w+$/.test(l))).toBe(true);
        if (combo.ci === "github") expect(read(dir, ".github/workflows/ci.yml")).toContain("node-version-file: .nvmrc");
        else expect((parseYaml(read(dir, ".gitlab-ci.yml")) as any).default.image).toBe(`node:${node}-alpine`);
      });

      it(`passes paved doctor as generated, and doctor names a Node.js version that disagrees`, async () => {
        const doctor = await runCli(["doctor", dir, ...(latest ? [] : ["--as-of", nextReleaseDay(version)]), "--json"]);
        expect(doctor.exitCode, String(doctor.stdout) + String(doctor.stderr)).toBe(0);
        const other = combo.nodeVersion === "24" ? "22" : "24";
        const dockerfile = path.join(dir, "Dockerfile");
        const original = read(dir, "Dockerfile");
        writeFileSync(dockerfile, original.replace(`FROM node:${combo.nodeVersion}-alpine`, `FROM node:${other}-alpine`));
        try {
          const drifted = await runCli(["doctor", dir, ...(latest ? [] : ["--as-of", nextReleaseDay(version)])]);
          expect(drifted.exitCode).toBe(1);
          expect(String(drifted.stdout)).toMatch(/✗ service\/node-version-image {2}no Docker base image runs the service's Node\.js major/);
        } finally {
          writeFileSync(dockerfile, original);
        }
      });
    });
  }
}
