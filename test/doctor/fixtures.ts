import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { renderTemplate } from "../../src/render/render.js";
import { serializeServiceFile, type ServiceFile } from "../../src/service-file.js";
import { DirectorySource } from "../../src/templates/source.js";
import { writeTree } from "../../src/fs/write-tree.js";
import { answersForRender } from "../../src/doctor/template-context.js";
import type { DoctorReport, Finding } from "../../src/doctor/model.js";
import { runDoctor, type DoctorOptions } from "../../src/doctor/run.js";
import { CLI_ENV, tempDir, writeFiles } from "../helpers.js";
import { makeSource, type FixtureVersion } from "../template-fixtures.js";
import { builtinCliRenderMeta } from "../../src/config.js";

export const TODAY = "2026-11-21";

const ALERTS = `groups:
  - name: {{name}}
    rules:
      - alert: {{pascal name}}Down
        expr: up{job="{{name}}"} == 0
        for: 5m
        labels:
          severity: critical
      - alert: HighErrorRate
        expr: rate(errors_total[5m]) > 0.05
        for: 10m
      - record: job:requests:rate5m
        expr: sum(rate(requests_total[5m]))
`;

const DASHBOARD = `{
  "title": "{{name}}",
  "panels": [
    { "type": "timeseries", "title": "Requests" }
  ]
}
`;

const CI = `name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci
      - run: npm test
  doctor:
    runs-on: ubuntu-latest
    steps:
      - run: npx --yes paved doctor --format github
`;

const CATALOG = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {{name}}
spec:
  type: service
  lifecycle: experimental
  owner: {{owner}}
`;

/** A small template with every kind of file doctor's built-in checks look at. */
export function svcVersion(overrides: { manifest?: Record<string, unknown>; files?: Record<string, string> } = {}): FixtureVersion {
  return {
    manifest: {
      released: "2026-09-01",
      questions: [
        { name: "name", type: "input", message: "Name", required: true },
        { name: "owner", type: "input", message: "Owner", required: true },
        { name: "token", type: "input", message: "Token", secret: true },
      ],
      files: { managed: ["deploy/app.yaml"], required: ["Dockerfile", "docs/runbook.md"] },
      ...overrides.manifest,
    },
    files: {
      "README.md": "# {{name}}\n",
      Dockerfile: 'FROM node:22-alpine\nUSER 1000\nCMD ["node", "server.js"]\n',
      "deploy/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{name}}\nspec:\n  replicas: 2\n",
      "monitoring/alerts.yml": ALERTS,
      "monitoring/dashboard.json": DASHBOARD,
      ".github/workflows/ci.yml": CI,
      CODEOWNERS: "* @{{owner}}\n",
      "catalog-info.yaml": CATALOG,
      "docs/runbook.md": "# Runbook\n",
      ...overrides.files,
    },
  };
}

export interface ServiceFixture {
  dir: string;
  source: string;
  run(options?: Partial<DoctorOptions>): Promise<DoctorReport>;
  write(files: Record<string, string>): void;
  remove(...paths: string[]): void;
  commit(): void;
}

/** A template source plus a service rendered from it (real render, .paved.yml, git commit). */
export async function makeService(
  options: {
    versions?: Record<string, FixtureVersion>;
    version?: string;
    answers?: Record<string, string>;
    service?: Partial<ServiceFile>;
    git?: boolean;
  } = {},
): Promise<ServiceFixture> {
  const versions = options.versions ?? { "1.0.0": svcVersion() };
  const version = options.version ?? Object.keys(versions)[0]!;
  const source = makeSource({ svc: versions });
  const dir = path.join(tempDir("paved-doctor-"), "payments-api");
  const loaded = await new DirectorySource(source, source, false).loadVersion("svc", version);
  const meta = { template: "svc", version, dirName: "payments-api", ...builtinCliRenderMeta() };
  const { answers } = await answersForRender(
    loaded.manifest.questions,
    options.answers ?? { name: "payments-api", owner: "team-payments" },
    meta,
  );
  const { tree } = renderTemplate(loaded, answers, meta);
  writeFiles(dir, { ".keep": "" });
  rmSync(path.join(dir, ".keep"));
  await writeTree(dir, tree);
  const { token: _secret, ...recorded } = answers;
  const service: ServiceFile = { template: "svc", source, version, answers: recorded, ...options.service };
  writeFileSync(path.join(dir, ".paved.yml"), serializeServiceFile(service));
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, env: { ...process.env, ...CLI_ENV }, stdio: "pipe" });
  const commit = () => {
    if (options.git === false) return;
    git("add", "--all");
    git("commit", "--quiet", "--no-verify", "--allow-empty", "-m", "change");
  };
  if (options.git !== false) {
    git("init", "--quiet", "--initial-branch", "main");
    commit();
  }
  return {
    dir,
    source,
    run: (more = {}) => runDoctor({ dir, source, asOf: TODAY, ...more }),
    write: (files) => {
      writeFiles(dir, files);
      commit();
    },
    remove: (...paths) => {
      for (const p of paths) rmSync(path.join(dir, p), { recursive: true, force: true });
      commit();
    },
    commit,
  };
}

export function findingsOf(report: DoctorReport, check: string): Finding[] {
  return report.findings.filter((f) => f.check === check);
}

/** The one finding of a check that yields exactly one. */
export function only(report: DoctorReport, check: string): Finding {
  const list = findingsOf(report, check);
  if (list.length !== 1) throw new Error(`expected one ${check} finding, got ${JSON.stringify(list, null, 2)}`);
  return list[0]!;
}

export function failures(report: DoctorReport): Finding[] {
  return report.findings.filter((f) => f.status === "fail");
}
