#!/usr/bin/env node
// `paved fleet report` at scale, as ratios measured in one run (issue 14):
//   - 200 services in one report vs 200 sequential `paved doctor --format json` calls   (target <= 0.2x)
//   - 50, 200 and 1,000 services: cost per service should stay flat                       (linear growth)
//   - a second report over unchanged repositories (cache) vs the first                     (target <= 0.1x)
//   - peak RSS of the 1,000-service report                                                  (target <= 300 MiB)
// The fleet is generated here: one `paved new service` repository, copied N times, each copy with its own
// owner (and some on an older version) in .paved.yml, committed, so every repository has its own HEAD.
//
// Usage: npm run build && node bench/fleet.mjs [--sizes 50,200,1000] [--doctor 200] [--keep]
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
    sizes: { type: "string", default: "50,200,1000" },
    doctor: { type: "string", default: "200" },
    keep: { type: "boolean", default: false },
  },
});
const SIZES = opts.sizes.split(",").map(Number);
const DOCTOR_COUNT = Number(opts.doctor);
const LARGEST = Math.max(...SIZES);
const AS_OF = "2026-12-01";
const env = { ...BENCH_ENV, PAVED_SOURCE: "" };

const work = mkdtempSync(path.join(os.tmpdir(), "paved-bench-fleet-"));
// The build is copied first, so a rebuild in the (shared) checkout cannot change what is measured halfway.
const pavedRoot = path.join(work, "paved");
const BIN = copyBuild(ROOT, pavedRoot);
cpSync(path.join(ROOT, "node_modules"), path.join(pavedRoot, "node_modules"), {
  recursive: true,
  dereference: false,
  verbatimSymlinks: true,
});

function run(args, { cwd = work, extraEnv = {}, allow = [0] } = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, BIN, ...args], {
    cwd,
    env: { ...env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 1 << 30,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!allow.includes(result.status)) throw new Error(`paved ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  const lines = result.stderr.toString().trim().split("\n");
  return { ms, rssKiB: Number(lines[lines.length - 1]), stdout: result.stdout.toString() };
}

function git(cwd, args) {
  execFileSync("git", args, { cwd, env, stdio: "ignore" });
}

console.error(`generating ${LARGEST} services in ${work} ...`);
const fleetDir = path.join(work, "fleet");
mkdirSync(fleetDir);
const base = path.join(work, "base");
execFileSync(process.execPath, [BIN, "new", "service", base, "--yes", "--set", "owner=team-0", "--version", "1.1.0", "--no-install"], {
  env,
  stdio: "ignore",
});
const baseYml = readFileSync(path.join(base, ".paved.yml"), "utf8");
const dirs = [];
for (let i = 1; i <= LARGEST; i++) {
  const dir = path.join(fleetDir, `svc-${String(i).padStart(4, "0")}`);
  cpSync(base, dir, { recursive: true });
  let yml = baseYml.replace("owner: team-0", `owner: team-${i % 12}`);
  if (i % 4 === 0) yml = yml.replace("version: 1.1.0", "version: 2.0.0");
  writeFileSync(path.join(dir, ".paved.yml"), yml);
  git(dir, ["commit", "--quiet", "--no-verify", "-am", `service ${i}`]);
  dirs.push(dir);
}
const reposFile = (n) => {
  const file = path.join(work, `repos-${n}.txt`);
  writeFileSync(file, dirs.slice(0, n).join("\n") + "\n");
  return file;
};

const results = {};
const load = () => os.loadavg()[0].toFixed(1);

console.error(`${DOCTOR_COUNT} sequential paved doctor --format json ...`);
const doctorStarted = process.hrtime.bigint();
for (const dir of dirs.slice(0, DOCTOR_COUNT)) run(["doctor", dir, "--format", "json"], { allow: [0, 1] });
results.doctorMs = Number(process.hrtime.bigint() - doctorStarted) / 1e6;

results.sizes = {};
for (const n of SIZES) {
  console.error(`fleet report over ${n} (no cache) ...`);
  const r = run(["fleet", "report", "--repos-file", reposFile(n), "--as-of", AS_OF, "--format", "json", "--no-cache"]);
  const report = JSON.parse(r.stdout);
  if (report.summary.paved !== n) throw new Error(`expected ${n} paved services, got ${report.summary.paved}`);
  results.sizes[n] = { ms: r.ms, rssKiB: r.rssKiB };
}

const cacheN = SIZES.includes(200) ? 200 : SIZES[0];
console.error(`fleet report over ${cacheN}, twice with a fresh cache ...`);
const cacheDir = path.join(work, "cache");
const cold = run(["fleet", "report", "--repos-file", reposFile(cacheN), "--as-of", AS_OF, "--format", "json"], {
  extraEnv: { PAVED_CACHE: cacheDir },
});
const warm = run(["fleet", "report", "--repos-file", reposFile(cacheN), "--as-of", AS_OF, "--format", "json"], {
  extraEnv: { PAVED_CACHE: cacheDir },
});
if (cold.stdout !== warm.stdout) throw new Error("the cached report differs from the first");
results.cache = { n: cacheN, coldMs: cold.ms, warmMs: warm.ms };

const f = (ms) => `${(ms / 1000).toFixed(1)} s`;
const perService = (n) => results.sizes[n].ms / n;
const lines = [
  `cores: ${os.availableParallelism()}, load average at the end: ${load()}`,
  "",
  "| measure | value | target |",
  "| --- | --- | --- |",
];
if (results.sizes[DOCTOR_COUNT]) {
  lines.push(
    `| fleet report over ${DOCTOR_COUNT} / ${DOCTOR_COUNT} sequential \`paved doctor --format json\` | ${f(results.sizes[DOCTOR_COUNT].ms)} / ${f(results.doctorMs)} = **${(results.sizes[DOCTOR_COUNT].ms / results.doctorMs).toFixed(3)}x** | ≤ 0.2x |`,
  );
}
for (const n of SIZES)
  lines.push(
    `| fleet report over ${n} | ${f(results.sizes[n].ms)} (${perService(n).toFixed(0)} ms a service), peak RSS ${(results.sizes[n].rssKiB / 1024).toFixed(0)} MiB | |`,
  );
const sorted = [...SIZES].sort((a, b) => a - b);
for (let i = 1; i < sorted.length; i++) {
  lines.push(
    `| growth: cost a service at ${sorted[i]} / at ${sorted[i - 1]} | **${(perService(sorted[i]) / perService(sorted[i - 1])).toFixed(2)}** | ≈ 1 (linear) or less |`,
  );
}
lines.push(
  `| second report over ${cacheN} unchanged (cache) / first | ${f(results.cache.warmMs)} / ${f(results.cache.coldMs)} = **${(results.cache.warmMs / results.cache.coldMs).toFixed(3)}x** | ≤ 0.1x |`,
);
lines.push(`| peak RSS at ${LARGEST} | **${(results.sizes[LARGEST].rssKiB / 1024).toFixed(0)} MiB** | ≤ 300 MiB |`);
console.log(lines.join("\n"));

if (opts.keep) console.error(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
