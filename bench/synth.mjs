// Synthetic template versions for the benchmark: a realistic mix of TypeScript, YAML, Markdown,
// a ~30 KB JSON dashboard, a templated file name, conditional files and files with a literal `{{`
// (GitHub Actions, Helm) that the manifest marks `copy` so they are written untouched.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

export const TEMPLATE = "bench";
export const FILES_PER_MODULE = 60;
export const VERSIONS = ["1.0.0", "1.1.0", "2.0.0"];

/** The answers every command gets (all given explicitly, so paved and the baseline render the same). */
export const ANSWERS = { name: "orders-api", owner: "team-orders", port: 8080, database: "postgres", tier: 2 };

/** Which files the plain walk must copy rather than render, and which it must skip (mirrors template.yaml). */
export const COPY_PATTERN = /(^|\/)(\.github|charts)\//;

function manifest(version) {
  const extra =
    version === "2.0.0"
      ? `  - name: region
    type: input
    message: Region
    default: eu-west-1
`
      : "";
  return `name: ${TEMPLATE}
version: ${version}
description: Synthetic service template for the paved benchmark.
released: 2026-0${VERSIONS.indexOf(version) + 1}-01
changelog: |
  Version ${version} of the benchmark template.
questions:
  - name: name
    type: input
    message: Service name
    default: "{{paved.dirName}}"
    required: true
    pattern: "^[a-z][-a-z0-9]{2,39}$"
  - name: owner
    type: input
    message: Owning team
    required: true
  - name: port
    type: number
    message: Port
    default: 8080
  - name: database
    type: select
    message: Database
    choices: [none, postgres]
    default: none
  - name: tier
    type: number
    message: Tier
    default: 2
${extra}files:
  when:
    "**/db/**": database == "postgres"
  copy:
    - "**/.github/**"
    - "**/charts/**"
  managed:
    - "**/deploy/**"
`;
}

function tsSource(m, i, version, templated) {
  const lines = [`// module ${m}`];
  if (templated) {
    lines.push(`// {{name}}: feature ${i} (template {{paved.template}} {{paved.version}})`);
    lines.push(`import { logger } from "./logger.js";`);
    lines.push(`export const SERVICE = {{json name}};`);
    lines.push(`export class {{pascal name}}Feature${i} {`);
  } else {
    lines.push(`// feature ${i}`);
    lines.push(`import { logger } from "./logger.js";`);
    lines.push(`export class Feature${i} {`);
  }
  for (let m = 0; m < 12; m++) {
    lines.push(`  /** Handle step ${m} of feature ${i}; returns the number of items processed. */`);
    lines.push(`  async step${m}(items: readonly string[]): Promise<number> {`);
    lines.push(`    let count = 0;`);
    lines.push(`    for (const item of items) {`);
    lines.push(`      if (item.length > ${m}) count += 1;`);
    lines.push(`      logger.debug({ item, step: ${m} }, "processed");`);
    lines.push(`    }`);
    lines.push(`    return count;`);
    lines.push(`  }`);
  }
  if (templated && i % 3 === 0) {
    lines.push(`{{#if (eq database "postgres")}}`);
    lines.push(`  readonly table = "{{snake name}}_feature_${i}";`);
    lines.push(`{{else}}`);
    lines.push(`  readonly table = undefined;`);
    lines.push(`{{/if}}`);
  }
  if (version !== "1.0.0" && i % 10 === 0) lines.push(`  readonly since = "${version}";`);
  lines.push(`}`);
  return lines.join("\n") + "\n";
}

function testSource(m, i) {
  return `// module ${m}
import { describe, expect, it } from "vitest";
import { {{pascal name}}Feature${i} } from "../src/feature${i}.js";

describe("{{name}} feature ${i}", () => {
  it("counts long items", async () => {
    const feature = new {{pascal name}}Feature${i}();
    expect(await feature.step0(["a", "bb"])).toBe(2);
    expect(await feature.step1(["a", "bb"])).toBe(1);
  });
});
`;
}

function yamlFile(m, i) {
  return `# module ${m}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{yaml name}}-part-${i}
  namespace: {{yaml owner}}
  labels:
    app.kubernetes.io/name: {{yaml name}}
    app.kubernetes.io/part-of: {{yaml name}}
    paved.dev/tier: "{{tier}}"
spec:
  replicas: {{pick tier 3 2 1}}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{yaml name}}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{yaml name}}
    spec:
      containers:
        - name: app
          image: ghcr.io/{{owner}}/{{name}}:latest
          ports:
            - containerPort: {{port}}
          readinessProbe:
            httpGet: { path: /ready, port: {{port}} }
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { memory: 256Mi }
`;
}

function dashboard(m) {
  const panels = [];
  for (let p = 0; panels.join(",").length < 29_000; p++) {
    panels.push(
      JSON.stringify(
        {
          id: p,
          type: "timeseries",
          title: `Panel ${m}.${p}`,
          gridPos: { h: 8, w: 12, x: (p % 2) * 12, y: Math.floor(p / 2) * 8 },
          targets: [
            { expr: `sum(rate(http_requests_total{service="SERVICE",code=~"5.."}[5m])) by (route) / ${p + 1}`, legendFormat: "{{route}}" },
          ],
          fieldConfig: {
            defaults: {
              unit: "reqps",
              thresholds: {
                mode: "absolute",
                steps: [
                  { color: "green", value: null },
                  { color: "red", value: 80 },
                ],
              },
            },
          },
        },
        null,
        2,
      ),
    );
  }
  // Grafana's own {{route}} legend must survive: escaped as \{{ for Handlebars.
  const body = panels.join(",\n").replaceAll('"{{route}}"', '"\\{{route}}"').replaceAll('service=\\"SERVICE\\"', 'service=\\"{{name}}\\"');
  return `{\n  "title": {{json name}},\n  "tags": [{{json owner}}],\n  "panels": [\n${body}\n  ]\n}\n`;
}

function workflow(m) {
  return `name: ci-${m}
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with: { node-version: 20 }
      - run: npm ci && npm test
      - run: echo "\${{ github.sha }} on \${{ github.ref_name }}"
      - run: npx paved doctor --format github
`;
}

function helmTemplate(m, i) {
  return `# module ${m}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config-${i}
data:
  level: {{ .Values.logLevel | quote }}
  {{- range $key, $value := .Values.extra }}
  {{ $key }}: {{ $value | quote }}
  {{- end }}
`;
}

function markdown(m, i, templated) {
  const head = templated
    ? `# {{name}} — notes ${m}.${i}\n\nOwned by **{{owner}}**. Listens on port {{port}}.\n`
    : `# Notes ${m}.${i}\n\nGeneral engineering notes.\n`;
  return (
    head +
    "\n" +
    Array.from({ length: 20 }, (_, k) => `- Point ${k}: keep handlers small, log with context, measure before optimising.`).join("\n") +
    "\n"
  );
}

/** The 60 files of one module, as [relative path, content] pairs; `prefix` places the module. */
function moduleFiles(m, prefix, version) {
  const files = [];
  const add = (p, content) => files.push([prefix + p, content]);
  for (let i = 0; i < 24; i++) add(`src/feature${i}.ts`, tsSource(m, i, version, i % 3 !== 2));
  for (let i = 0; i < 8; i++) add(`test/feature${i}.test.ts`, testSource(m, i));
  for (let i = 0; i < 12; i++) add(`deploy/part-${i}.yaml`, yamlFile(m, i));
  add("monitoring/dashboard.json", dashboard(m));
  add(".github/workflows/ci.yml", workflow(m));
  for (let i = 0; i < 3; i++) add(`charts/templates/config-${i}.yaml`, helmTemplate(m, i));
  for (let i = 0; i < 5; i++) add(`docs/notes-${i}.md`, markdown(m, i, i % 2 === 0));
  add(
    "package.json",
    `{\n  "name": {{json name}},\n  "version": "0.${m}.0",\n  "type": "module",\n  "scripts": { "test": "vitest run" }\n}\n`,
  );
  add("tsconfig.json", `{\n  "compilerOptions": { "target": "ES2022", "module": "NodeNext", "strict": true, "outDir": "dist-${m}" }\n}\n`);
  add(
    "Dockerfile",
    `FROM node:20-slim\nLABEL module=${m}\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nEXPOSE {{port}}\nCMD ["node", "dist/server.js"]\n`,
  );
  add("src/{{kebab name}}.ts", `// module ${m}\nexport const name = {{json name}};\nexport const owner = {{json owner}};\n`);
  for (let i = 0; i < 2; i++)
    add(
      `db/migrations/00${i}.sql`,
      `-- {{name}} migration ${m}.${i}\nCREATE TABLE {{snake name}}_${i} (id bigserial primary key, created_at timestamptz not null default now());\n`,
    );
  if (version === "1.0.0" || version === "1.1.0") add("docs/legacy.md", "# Legacy\n\nRemoved in 2.0.0.\n");
  else add("docs/region.md", "# Region\n\n{{name}} runs in {{region}}.\n");
  if (version !== "1.0.0") add("src/health.ts", `export const health = () => ({ service: {{json name}}, ok: true });\n`);
  return files;
}

/** Write `<root>/bench/<version>/{template.yaml,files/}` with about `size` files (a multiple of 60). */
export function writeTemplateVersion(root, size, version) {
  const dir = path.join(root, TEMPLATE, version);
  const filesDir = path.join(dir, "files");
  mkdirSync(filesDir, { recursive: true });
  writeFileSync(path.join(dir, "template.yaml"), manifest(version));
  const modules = Math.max(1, Math.round(size / FILES_PER_MODULE));
  let count = 0;
  const made = new Set();
  for (let m = 0; m < modules; m++) {
    const prefix = m === 0 ? "" : `packages/p${m}/`;
    for (const [relative, content] of moduleFiles(m, prefix, version)) {
      const full = path.join(filesDir, relative);
      const parent = path.dirname(full);
      if (!made.has(parent)) {
        mkdirSync(parent, { recursive: true });
        made.add(parent);
      }
      writeFileSync(full, content);
      count++;
    }
  }
  return { dir, files: count };
}

/** Template source root holding every benchmark version at this size. */
export function writeTemplateSource(root, size, versions = VERSIONS) {
  let files = 0;
  for (const version of versions) files = writeTemplateVersion(root, size, version).files;
  return { root, files };
}
