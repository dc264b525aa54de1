#!/usr/bin/env node
// `paved template impact` at scale, as a ratio measured in one run (issue 19):
//   - impact over N services vs N sequential `paved upgrade --to <v> --dry-run` runs   (target <= 0.2x at 200)
// The fleet is generated here: one `paved new service` repository at 1.0.0, copied N times, each copy with its
// own committed team edit (a third tune an alert the release also changes: a conflict; a third add a file
// of their own: a clean merge; a third untouched). Each dry run's conflicts are checked against impact's row.
//
// Usage: npm run build && node bench/impact.mjs [--services 200] [--to 1.1.0] [--keep]
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BENCH_ENV, copyBuild } from "./common.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values: opts } = parseArgs({
  options: {
    services: { type: "string", default: "200" },
    to: { type: "string", default: "1.1.0" },
    keep: { type: "boolean", default: false },
  },
});
const N = Number(opts.services);
const env = { ...BENCH_ENV, PAVED_SOURCE: "" };

const work = mkdtempSync(path.join(os.tmpdir(), "paved-bench-impact-"));
// The build is copied first, so a rebuild in the (shared) checkout cannot change what is measured halfway.
const pavedRoot = path.join(work, "paved");
const BIN = copyBuild(ROOT, pavedRoot);
cpSync(path.join(ROOT, "node_modules"), path.join(pavedRoot, "node_modules"), {
  recursive: true,
  dereference: false,
  verbatimSymlinks: true,
});
const TEMPLATE = path.join(pavedRoot, "templates", "service");

function run(args, allow = [0]) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: work, env, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!allow.includes(result.status)) throw new Error(`paved ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: result.stdout.toString() };
}

const git = (cwd, args) => execFileSync("git", args, { cwd, env, stdio: "ignore" });

console.error(`generating ${N} services in ${work} ...`);
const fleetDir = path.join(work, "fleet");
mkdirSync(fleetDir);
const base = path.join(work, "base");
execFileSync(process.execPath, [BIN, "new", "service", base, "--yes", "--set", "owner=team-0", "--version", "1.0.0", "--no-install"], {
  env,
  stdio: "ignore",
});
const dirs = [];
for (let i = 1; i <= N; i++) {
  const dir = path.join(fleetDir, `svc-${String(i).padStart(4, "0")}`);
  cpSync(base, dir, { recursive: true });
  if (i % 3 === 0) {
    const alerts = path.join(dir, "monitoring", "alerts.yml");
    writeFileSync(alerts, readFileSync(alerts, "utf8").replace("for: 10m", `for: ${10 + (i % 7)}m`));
  } else if (i % 3 === 1) {
    writeFileSync(path.join(dir, "src", "team.ts"), `export const team = ${i};\n`);
    git(dir, ["add", "src/team.ts"]);
  }
  git(dir, ["commit", "--quiet", "--no-verify", "--allow-empty", "-am", `team edit ${i}`]);
  dirs.push(dir);
}
const reposFile = path.join(work, "repos.txt");
writeFileSync(reposFile, dirs.join("\n") + "\n");

console.error(`template impact over ${N} ...`);
const impact = run(["template", "impact", TEMPLATE, "--to", opts.to, "--repos-file", reposFile, "--json"]);
const report = JSON.parse(impact.stdout);
if (report.services.length !== N) throw new Error(`expected ${N} rows, got ${report.services.length}`);

console.error(`${N} sequential paved upgrade --dry-run ...`);
let dryMs = 0;
for (const [i, dir] of dirs.entries()) {
  const r = run(["upgrade", dir, "--to", opts.to, "--dry-run", "--yes", "--json"], [0, 1]);
  dryMs += r.ms;
  const planned = JSON.parse(r.stdout)
    .conflicts.map((c) => `${c.path}:${c.regions}`)
    .sort()
    .join(",");
  const predicted = report.services[i].conflicts
    .map((c) => `${c.path}:${c.regions}`)
    .sort()
    .join(",");
  if (planned !== predicted) throw new Error(`${dir}: upgrade --dry-run plans conflicts [${planned}], impact said [${predicted}]`);
}

const f = (ms) => `${(ms / 1000).toFixed(1)} s`;
const t = report.totals;
console.log(
  [
    `cores: ${os.availableParallelism()}, load average at the end: ${os.loadavg()[0].toFixed(1)}`,
    `fleet: ${t.clean} clean, ${t.conflicts} with conflicts (every row equal to its dry run's conflicts)`,
    "",
    "| measure | value | target |",
    "| --- | --- | --- |",
    `| template impact over ${N} / ${N} sequential \`paved upgrade --dry-run\` | ${f(impact.ms)} / ${f(dryMs)} = **${(impact.ms / dryMs).toFixed(3)}x** | ≤ 0.2x |`,
    `| template impact: a service | ${(impact.ms / N).toFixed(0)} ms | |`,
  ].join("\n"),
);

if (opts.keep) console.error(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
