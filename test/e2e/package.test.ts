// Issue 17: paved's package is ready to publish under any name, and the org's config lands everywhere in a new
// service. The tarball `npm pack` makes is installed into a temp prefix and run with Node 20 (this one), and 22
// and 24 when PAVED_TEST_NODE22 / PAVED_TEST_NODE24 name node binaries (.ci/run sets them). Then the Done-when
// test: a config with defaults, cli (this tarball, pinned as a devDependency) and trust creates a service from a
// trusted source (its postCreate `npm install` runs without --trust and installs the pinned paved), and every
// place the values land is checked, down to `npx --no-install paved doctor` passing with the pinned paved.
import { cpSync, existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { execa } from "execa";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, tempDir, writeFiles } from "../helpers.js";

const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  bin: Record<string, string>;
};
const NPM_TIMEOUT = 480_000;

/** npm and node without the test runner's npm_* settings (they would point npm at this repository). */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("npm_") && !k.startsWith("VITEST")) env[k] = v;
  return { ...env, CI: "true", NO_COLOR: "1", ...extra };
}

let tarball = "";
let prefix = "";

beforeAll(async () => {
  const out = tempDir("paved-pack-");
  // dist/ is built by `npm run build` before the tests; --ignore-scripts keeps `prepare` from building again.
  const packed = await execa("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", out], { cwd: ROOT, env: cleanEnv() });
  tarball = path.join(out, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);
  prefix = tempDir("paved-prefix-");
  // The tarball's dependencies come from the registry through npm's cache (--prefer-offline), as in CI's `npm ci`.
  const install = await execa(
    "npm",
    ["install", tarball, "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"],
    {
      env: cleanEnv(),
      reject: false,
      all: true,
      timeout: NPM_TIMEOUT,
    },
  );
  expect(install.exitCode, install.all).toBe(0);
}, NPM_TIMEOUT + 60_000);

describe("the npm package", () => {
  it("holds only what it needs: bin, dist (no metafile, no source maps), templates, schema, renovate, README, licenses and the xdiff port's source", async () => {
    const dry = await execa("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, env: cleanEnv() });
    const files = (JSON.parse(dry.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    const allowed =
      /^(bin\/paved\.cjs|dist\/.+\.c?js|templates\/.+|schema\/[\w-]+\.schema\.json|renovate\/[\w-]+\.json|LICENSES\/.+\.txt|README\.md|LICENSE|package\.json|src\/diff\/xdiff\/(README\.md|[\w-]+\.ts)|dist\/THIRD-PARTY-LICENSES\.txt)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([
        "bin/paved.cjs",
        "dist/cli.cjs",
        "LICENSE",
        "LICENSES/LGPL-2.1-or-later.txt",
        "README.md",
        "schema/pavedrc.schema.json",
        "schema/template.schema.json",
        "renovate/paved.json",
        "dist/THIRD-PARTY-LICENSES.txt",
        // The LGPL-2.1-or-later files bundled into dist/ travel with their source (LICENSE says why).
        "src/diff/xdiff/README.md",
        "src/diff/xdiff/diff3.ts",
        "src/diff/xdiff/line-diff.ts",
      ]),
    );
    expect(files.filter((f) => /\.map$|^(src\/(?!diff\/xdiff\/)|test|bench|scripts|docs)\/|metafile|\.v8-cache/.test(f))).toEqual([]);
  });

  it("dist/THIRD-PARTY-LICENSES.txt holds the license of every package bundled into dist/, and Handlebars' for the ported code", () => {
    const notices = readFileSync(path.join(ROOT, "dist", "THIRD-PARTY-LICENSES.txt"), "utf8");
    const meta = JSON.parse(readFileSync(path.join(ROOT, "dist", "metafile.json"), "utf8")) as {
      outputs: Record<string, { inputs: Record<string, unknown> }>;
    };
    const dirs = new Set(
      Object.values(meta.outputs).flatMap((o) =>
        Object.keys(o.inputs).flatMap((input) => {
          const at = input.lastIndexOf("node_modules/");
          if (at < 0) return [];
          const rest = input.slice(at + "node_modules/".length).split("/");
          return [input.slice(0, at) + "node_modules/" + rest.slice(0, rest[0]?.startsWith("@") ? 2 : 1).join("/")];
        }),
      ),
    );
    // commander, zod, yaml, semver, picomatch, chalk, js-yaml, execa and what execa brings.
    expect(dirs.size).toBeGreaterThan(20);
    for (const dir of dirs) {
      const pkg = JSON.parse(readFileSync(path.join(ROOT, dir, "package.json"), "utf8")) as { name: string; version: string };
      expect(notices, dir).toContain(`${pkg.name}@${pkg.version} (`);
      const license = readdirSync(path.join(ROOT, dir)).find((f) => /^licen[cs]e/i.test(f));
      expect(license, `${dir} ships a license file`).toBeDefined();
      expect(notices).toContain(readFileSync(path.join(ROOT, dir, license as string), "utf8").trim());
    }
    expect(notices).toContain(readFileSync(path.join(ROOT, "node_modules", "handlebars", "LICENSE"), "utf8").trim());
    expect(notices).toContain("src/render/handlebars-subset/whitespace-control.ts");
  });

  const nodes: Array<[string, string | undefined]> = [
    ["20 (this node)", process.execPath],
    ["22 (PAVED_TEST_NODE22)", process.env.PAVED_TEST_NODE22],
    ["24 (PAVED_TEST_NODE24)", process.env.PAVED_TEST_NODE24],
  ];
  for (const [label, node] of nodes)
    it(`installed from the tarball, \`paved --version\` and \`paved new service\` work on Node ${label}`, async (ctx) => {
      if (!node) return ctx.skip(`${label} is not set: not run`);
      const env = cleanEnv({ PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`, XDG_CONFIG_HOME: tempDir() });
      const bin = path.join(prefix, "node_modules", ".bin", Object.keys(pkg.bin)[0]!);
      const nodeVersion = await execa(node, ["--version"], { env });
      expect(nodeVersion.stdout).toMatch(label.startsWith("20") ? /^v20\./ : new RegExp(`^v${label.slice(0, 2)}\\.`));
      const version = await execa(bin, ["--version"], { env, reject: false });
      expect(version.exitCode, version.stderr).toBe(0);
      expect(version.stdout.trim()).toBe(pkg.version);
      const work = tempDir();
      const made = await execa(bin, ["new", "service", "svc", "--yes", "--set", "owner=team-a", "--no-install", "--no-git"], {
        cwd: work,
        env,
        reject: false,
      });
      expect(made.exitCode, made.stderr).toBe(0);
      expect(existsSync(path.join(work, "svc", "catalog-info.yaml"))).toBe(true);
      expect(made.stdout).toContain(`npx --yes ${pkg.name}@${pkg.version} doctor`);
    });
});

describe("a platform team's config lands in every place of a new service (issue 17's Done-when test)", () => {
  it(
    "defaults, cli and trust: catalog, alerts' runbook_url, CI, package.json, README, next steps, and the pinned paved runs doctor",
    async () => {
      const root = tempDir("paved-rollout-");
      // The org's templates: a copy of the service template in a directory source of its own, so its hooks are
      // not built-in ones and run only because the user config trusts that source.
      const source = path.join(root, "platform-templates");
      cpSync(path.join(ROOT, "templates", "service"), path.join(source, "service"), { recursive: true });
      const xdg = path.join(root, "xdg");
      writeFiles(xdg, {
        "paved/config.yml": [
          `source: ${source}`,
          `trust: [${source}/]`,
          "cli:",
          `  package: ${pkg.name}@file:${tarball}`,
          "  pin: devDependency",
          "defaults:",
          "  service:",
          '    repository: "https://git.example.com/{{owner}}/{{name}}"',
          "    tier: 2",
          "",
        ].join("\n"),
      });
      const env = { XDG_CONFIG_HOME: xdg, PAVED_SOURCE: undefined, PAVED_CONFIG: undefined };
      const made = await runCli(["new", "service", "payments-api", "--yes", "--set", "owner=team-payments"], {
        cwd: root,
        env,
        timeout: NPM_TIMEOUT,
      });
      expect(made.exitCode, made.stderr).toBe(0);
      expect(made.stderr).toContain(
        `running the template's commands without --trust: trust: ${source}/ in ${path.join(xdg, "paved", "config.yml")}`,
      );
      const service = path.join(root, "payments-api");
      const read = (file: string) => readFileSync(path.join(service, file), "utf8");
      const repo = "https://git.example.com/team-payments/payments-api";

      // The trusted postCreate hook ran: npm install put the pinned paved (this tarball) in node_modules.
      expect(JSON.parse(read("node_modules/paved/package.json")).version).toBe(pkg.version);
      const manifest = JSON.parse(read("package.json"));
      expect(manifest.devDependencies[pkg.name]).toBe(`file:${tarball}`);

      // defaults: the repository default rendered with the other answers, recorded, and in every link.
      expect(parseYaml(read(".paved.yml")).answers).toMatchObject({ repository: repo, tier: 2 });
      const catalog = parseYaml(read("catalog-info.yaml"));
      expect(catalog.metadata.annotations["backstage.io/source-location"]).toBe(`url:${repo}/`);
      expect(catalog.metadata.links.map((l: { url: string }) => l.url)).toEqual(
        expect.arrayContaining([repo, `${repo}/blob/main/docs/runbooks/README.md`]),
      );
      const alerts = parseYaml(read("monitoring/alerts.yml")) as {
        groups: Array<{ rules: Array<{ alert?: string; annotations?: Record<string, string> }> }>;
      };
      const runbooks = alerts.groups
        .flatMap((g) => g.rules)
        .filter((r) => r.alert)
        .map((r) => r.annotations?.runbook_url);
      expect(runbooks.length).toBeGreaterThan(0);
      for (const url of runbooks)
        expect(url).toMatch(new RegExp(`^${repo.replace(/[.]/g, "\\.")}/blob/main/docs/runbooks/README\\.md#[a-z0-9-]+$`));

      // cli: CI installs the pinned paved with the service's dependencies and runs it; never a floating `npx paved`.
      expect(validateWorkflow(read(".github/workflows/ci.yml")).errors).toEqual([]);
      const ci = parseYaml(read(".github/workflows/ci.yml")) as { jobs: Record<string, { steps: Array<{ run?: string }> }> };
      const goldenPath = ci.jobs["golden-path"]!.steps.map((s) => s.run).filter(Boolean);
      expect(goldenPath).toEqual(["npm ci --no-audit --no-fund", "npx --no-install paved doctor --format github"]);
      expect(read(".github/workflows/ci.yml")).not.toMatch(/npx --yes paved\b(?!@)/);
      expect(read("README.md")).toContain("`npx --no-install paved doctor` checks it");
      expect(made.stdout).toMatch(/Next steps:\n(?:.*\n)*\s+npx --no-install paved doctor$/);

      // The pinned paved, run from the service's node_modules, passes its own doctor.
      const doctor = await execa("npx", ["--no-install", "paved", "doctor"], {
        cwd: service,
        env: cleanEnv({ XDG_CONFIG_HOME: xdg }),
        reject: false,
        all: true,
      });
      expect(doctor.exitCode, doctor.all).toBe(0);

      // GitLab: the golden-path job installs the pin (extends .npm) and runs it.
      const gitlab = await runCli(
        ["new", "service", "ledger", "--yes", "--set", "owner=team-ledger", "--set", "ci=gitlab", "--no-install", "--no-git"],
        { cwd: root, env },
      );
      expect(gitlab.exitCode, gitlab.stderr).toBe(0);
      const pipeline = parseYaml(readFileSync(path.join(root, "ledger", ".gitlab-ci.yml"), "utf8"));
      expect(pipeline["golden-path"]).toMatchObject({
        extends: ".npm",
        script: ["npx --no-install paved doctor --format gitlab --output gl-code-quality-report.json"],
      });
      expect(readFileSync(path.join(root, "ledger", "catalog-info.yaml"), "utf8")).toContain("https://git.example.com/team-ledger/ledger");
    },
    NPM_TIMEOUT + 120_000,
  );
});
