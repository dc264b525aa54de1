#!/usr/bin/env node
// paved's benchmark: times paved's commands against bare Node and a plain Handlebars walk of the same
// template, interleaved run by run (A B A B ...) so machine noise hits every command alike, and prints
// medians, ratios and peak RSS. Every run writes to a fresh directory (nothing is deleted between runs).
//
//   npm run bench                          # build, then 60/600/6000 files
//   node bench/run.mjs --sizes 60 --runs 10
//   node bench/run.mjs --help
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  cpSync,
  existsSync,
  symlinkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  mkdirSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BENCH_ENV, copyBuild } from "./common.mjs";
import { ANSWERS, COPY_PATTERN, TEMPLATE, writeTemplateSource } from "./synth.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BASELINE = path.join(ROOT, "bench", "baseline-walk.mjs");
const NODE = process.execPath;
const TIME = "/usr/bin/time";

const { values: opts } = parseArgs({
  options: {
    sizes: { type: "string", default: "60,600,6000" },
    runs: { type: "string" },
    warmup: { type: "string", default: "1" },
    "upgrade-sizes": { type: "string", default: "60,600" },
    "doctor-tracked": { type: "string", default: "10000" },
    only: { type: "string" },
    out: { type: "string" },
    json: { type: "string" },
    before: { type: "string" },
    markdown: { type: "string" },
    keep: { type: "boolean", default: false },
    "skip-doctor-script": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  process.stdout.write(`usage: node bench/run.mjs [options]
  --sizes 60,600,6000     template sizes in files (multiples of 60)
  --runs N                timed runs per command (default: 20 at <=60 files, 10 at <=600, 5 above)
  --warmup N              untimed runs per command first (default 1)
  --upgrade-sizes 60,600  sizes at which to time \`paved upgrade\` 1.0.0 -> 2.0.0 (needs a git service per run)
  --doctor-tracked N      also time doctor on a service with N extra tracked files (0 = skip; default 10000)
  --only a,b              only these commands: node, version, help, baseline, new, gitonly, doctor, upgrade
  --out DIR               where to build templates and outputs (default: a new dir under the OS temp dir)
  --before DIR            also time another paved checkout (e.g. an older commit, built) as "[before]" rows
  --json FILE             also write every sample as JSON
  --markdown FILE         also write the table as Markdown
  --keep                  keep the output directory (default: removed at the end)
  --skip-doctor-script    do not run bench/doctor.mjs (doctor's own benchmark) at the end
`);
  process.exit(0);
}

const sizes = opts.sizes
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const upgradeSizes = new Set(
  opts["upgrade-sizes"]
    .split(",")
    .map(Number)
    .filter((n) => n > 0),
);
const only = opts.only ? new Set(opts.only.split(",")) : undefined;
const wanted = (name) => !only || only.has(name);
const warmup = Number(opts.warmup);
const runsFor = (size) => (opts.runs ? Number(opts.runs) : size <= 60 ? 20 : size <= 600 ? 10 : 5);
const hasTime = existsSync(TIME);
/**
 * CPU time of the command and every process it starts (perf's task-clock), when `perf stat` works here: on a
 * shared machine wall time grows with other people's load, CPU time much less, so it shows what git costs.
 */
const hasPerf = spawnSync("perf", ["stat", "-x,", "-e", "task-clock", "--", "true"], { encoding: "utf8" }).status === 0;
const work = opts.out ? path.resolve(opts.out) : mkdtempSync(path.join(os.tmpdir(), "paved-bench-"));
mkdirSync(work, { recursive: true });

/**
 * A private copy of the build, so a rebuild in the checkout during the bench (a shared machine) cannot change
 * what is being measured halfway through.
 */
function snapshotBuild(from, to) {
  mkdirSync(to, { recursive: true });
  const bin = copyBuild(from, to);
  symlinkSync(path.join(from, "node_modules"), path.join(to, "node_modules"));
  return bin;
}
const BIN = snapshotBuild(ROOT, path.join(work, "paved"));
const BEFORE_BIN = opts.before ? snapshotBuild(path.resolve(opts.before), path.join(work, "paved-before")) : undefined;

const gitEnv = { ...BENCH_ENV, GIT_CONFIG_NOSYSTEM: "1" };

function run(command, args, { cwd = work, expect = [0], quiet = false } = {}) {
  const result = spawnSync(command, args, { cwd, env: gitEnv, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (!expect.includes(result.status)) {
    throw new Error(`${[command, ...args].join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  if (!quiet && result.stderr.trim()) process.stderr.write(result.stderr);
  return result;
}

let sampleNo = 0;
/** One timed run: wall time around the spawn, peak RSS of the child from /usr/bin/time, CPU time from perf. */
function timeOnce(argv, expect, env = {}) {
  const rssFile = path.join(work, `rss-${sampleNo}.txt`);
  const cpuFile = path.join(work, `cpu-${sampleNo++}.txt`);
  const measured = hasPerf ? ["perf", "stat", "-x,", "-e", "task-clock", "-o", cpuFile, "--", ...argv] : argv;
  const [command, args] = hasTime ? [TIME, ["-f", "%M", "-o", rssFile, ...measured]] : [measured[0], measured.slice(1)];
  const t0 = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: work, env: { ...gitEnv, ...env }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!expect.includes(result.status)) {
    throw new Error(
      `${argv.join(" ")} exited ${result.status} (expected ${expect.join(" or ")})\n${result.stdout.slice(0, 4000)}\n${result.stderr.slice(0, 4000)}`,
    );
  }
  let rssKb = NaN;
  if (hasTime) {
    const lines = readFileSync(rssFile, "utf8").trim().split("\n");
    rssKb = Number(lines[lines.length - 1]);
  }
  let cpuMs = NaN;
  if (hasPerf) {
    const line = readFileSync(cpuFile, "utf8")
      .split("\n")
      .find((l) => l.includes("task-clock"));
    cpuMs = Number(line?.split(",")[0]);
  }
  return { ms, rssKb, cpuMs };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function listTree(dir, prefix = "", out = new Map()) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) listTree(full, relative, out);
    else out.set(relative, readFileSync(full));
  }
  return out;
}

const setFlags = Object.entries(ANSWERS).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
const pavedNew = (srcRoot, target, version, ...extra) => [
  NODE,
  BIN,
  "new",
  TEMPLATE,
  target,
  "--source",
  srcRoot,
  "--version",
  version,
  "--yes",
  ...setFlags,
  ...extra,
];

/** paved's output must equal the plain walk's, byte for byte (plus .paved.yml): same files, same answers. */
function assertSameOutput(srcRoot, size) {
  const a = path.join(work, `check-${size}-baseline`);
  const b = path.join(work, `check-${size}-paved`);
  run(NODE, [BASELINE, path.join(srcRoot, TEMPLATE, "1.0.0", "files"), a, JSON.stringify(ANSWERS), TEMPLATE, "1.0.0"]);
  const [command, ...args] = pavedNew(srcRoot, b, "1.0.0", "--no-install", "--no-git", "--quiet");
  run(command, args);
  const left = listTree(a);
  const right = listTree(b);
  right.delete(".paved.yml");
  const differ = [...new Set([...left.keys(), ...right.keys()])].filter(
    (p) => !left.get(p)?.equals(right.get(p) ?? Buffer.alloc(0)) || !right.has(p),
  );
  if (differ.length) throw new Error(`paved and the baseline differ at ${size} files: ${differ.slice(0, 5).join(", ")}`);
  const copied = [...left.keys()].filter((p) => COPY_PATTERN.test(p));
  if (!copied.every((p) => left.get(p).includes("{{"))) throw new Error("the copy files lost their literal {{");
  return left.size;
}

function commitAll(dir, message) {
  run("git", ["add", "-A"], { cwd: dir, quiet: true });
  run("git", ["commit", "-q", "--no-verify", "-m", message], { cwd: dir, quiet: true });
}

/** A service at 1.0.0 with a committed team edit: what `upgrade` starts from. */
function prepareUpgrade(srcRoot, target) {
  const argv = pavedNew(srcRoot, target, "1.0.0", "--no-install", "--quiet");
  run(argv[0], argv.slice(1), { quiet: true });
  appendFileSync(path.join(target, "docs", "notes-1.md"), "\nLocal note kept by the team.\n");
  appendFileSync(path.join(target, "src", "feature1.ts"), "// tuned by the team\n");
  commitAll(target, "team edit");
}

/** A service at the latest version with `extra` more tracked files (doctor reads the repository). */
function prepareDoctorService(srcRoot, target, extra = 0) {
  const argv = pavedNew(srcRoot, target, "2.0.0", "--no-install", "--quiet");
  run(argv[0], argv.slice(1), { quiet: true });
  if (extra > 0) {
    for (let i = 0; i < extra; i++) {
      const dir = path.join(target, "vendor", `lib${Math.floor(i / 100)}`);
      if (i % 100 === 0) mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `mod${i}.js`), `export const value${i} = ${i};\n`);
    }
    commitAll(target, `add ${extra} tracked files`);
  }
}

const commandExists = (name) => spawnSync(NODE, [BIN, name, "--help"], { encoding: "utf8" }).status === 0;
const hasDoctor = commandExists("doctor");
const hasUpgrade = commandExists("upgrade");

/** The benchmarks at one size, each {name, argv, expect, prepare?(i) -> argv}. */
function benchesFor(size, srcRoot, outDir) {
  const list = [];
  list.push({ name: "node", label: "node -e ''", argv: () => [NODE, "-e", ""] });
  if (size === sizes[0]) {
    list.push({ name: "version", label: "paved --version", argv: () => [NODE, BIN, "--version"] });
    list.push({ name: "help", label: "paved --help", argv: () => [NODE, BIN, "--help"] });
  }
  list.push({
    name: "baseline",
    label: "plain Handlebars walk",
    argv: (i) => [
      NODE,
      BASELINE,
      path.join(srcRoot, TEMPLATE, "1.0.0", "files"),
      path.join(outDir, `baseline-${i}`),
      JSON.stringify(ANSWERS),
      TEMPLATE,
      "1.0.0",
    ],
  });
  list.push({
    name: "new",
    label: "paved new --no-install --no-git",
    argv: (i) => pavedNew(srcRoot, path.join(outDir, `new-${i}`), "1.0.0", "--no-install", "--no-git", "--quiet"),
  });
  // What a first run (or a read-only install) pays: no compile cache (bin/paved.cjs), so V8 compiles paved's code.
  if (size === sizes[0]) {
    list.push({
      name: "new",
      variant: "cold",
      label: "paved new --no-install --no-git (no compile cache)",
      env: { PAVED_COMPILE_CACHE: "0" },
      argv: (i) => pavedNew(srcRoot, path.join(outDir, `new-cold-${i}`), "1.0.0", "--no-install", "--no-git", "--quiet"),
    });
  }
  // The default job, the one users feel: git init and the first commit included.
  list.push({
    name: "new",
    variant: "git",
    label: "paved new --no-install (with git)",
    argv: (i) => pavedNew(srcRoot, path.join(outDir, `new-git-${i}`), "1.0.0", "--no-install", "--quiet"),
  });
  // git alone doing what `paved new` has it do (init, add, commit), with the options paved gives it (the bulk
  // check-in of src/git/run.ts), on a copy of paved's output made untimed: the floor under the git cost of `paved new`.
  list.push({
    name: "gitonly",
    label: "git init + add + commit alone (same files)",
    prepare: (i) => cpSync(path.join(work, `check-${size}-paved`), path.join(outDir, `git-only-${i}`), { recursive: true }),
    argv: (i) => {
      const dir = path.join(outDir, `git-only-${i}`);
      const git = `git -C '${dir}'`;
      return [
        "sh",
        "-c",
        `${git} init -q && ${git} -c core.bigFileThreshold=1 add --all && ${git} -c maintenance.auto=false commit -q --no-verify --no-gpg-sign -m x`,
      ];
    },
  });
  if (hasDoctor) {
    const service = path.join(outDir, "doctor-service");
    prepareDoctorService(srcRoot, service);
    list.push({
      name: "doctor",
      label: "paved doctor (generated service)",
      argv: () => [NODE, BIN, "doctor", service, "--quiet"],
      expect: [0, 1],
    });
    const extra = Number(opts["doctor-tracked"]);
    if (extra > 0 && size === sizes[0]) {
      const big = path.join(outDir, "doctor-tracked");
      prepareDoctorService(srcRoot, big, extra);
      list.push({
        name: "doctor",
        variant: "tracked",
        label: `paved doctor (+${extra} tracked files)`,
        argv: () => [NODE, BIN, "doctor", big, "--quiet"],
        expect: [0, 1],
      });
    }
  }
  if (hasUpgrade && upgradeSizes.has(size)) {
    list.push({
      name: "upgrade",
      label: "paved upgrade 1.0.0 -> 2.0.0",
      prepare: (i) => prepareUpgrade(srcRoot, path.join(outDir, `upgrade-${i}`)),
      argv: (i) => [NODE, BIN, "upgrade", path.join(outDir, `upgrade-${i}`), "--to", "2.0.0", "--yes", "--quiet"],
    });
  }
  if (BEFORE_BIN) {
    for (const bench of list.filter((b) => ["version", "help", "new", "doctor", "upgrade"].includes(b.name))) {
      list.push({
        ...bench,
        variant: bench.variant ? `${bench.variant}-before` : "before",
        label: `${bench.label} [before]`,
        prepare: bench.prepare && ((i) => bench.prepare(`b${i}`)),
        argv: (i) => bench.argv(`b${i}`).map((arg) => (arg === BIN ? BEFORE_BIN : arg)),
      });
    }
  }
  return list.filter((b) => wanted(b.name));
}

const results = [];
const started = Date.now();
process.stderr.write(`paved bench: node ${process.version}, ${os.cpus().length} cpus, outputs in ${work}\n`);
if (!hasDoctor) process.stderr.write("paved doctor is not available in this build: skipped\n");
if (!hasUpgrade) process.stderr.write("paved upgrade is not available in this build: skipped\n");

try {
  for (const size of sizes) {
    const srcRoot = path.join(work, `templates-${size}`);
    writeTemplateSource(srcRoot, size);
    const files = assertSameOutput(srcRoot, size);
    const outDir = path.join(work, `out-${size}`);
    mkdirSync(outDir, { recursive: true });
    const benches = benchesFor(size, srcRoot, outDir);
    const runs = runsFor(size);
    process.stderr.write(
      `\n${size}-file template (${files} files rendered): ${warmup} warm-up + ${runs} runs of ${benches.map((b) => b.label).join(", ")}\n`,
    );
    const samples = new Map(benches.map((b) => [b, []]));
    for (let i = -warmup; i < runs; i++) {
      for (const bench of benches) {
        const id = i < 0 ? `w${-i}` : String(i);
        bench.prepare?.(id);
        const sample = timeOnce(bench.argv(id), bench.expect ?? [0], bench.env);
        if (i >= 0) samples.get(bench).push(sample);
      }
      process.stderr.write(i < 0 ? "w" : ".");
    }
    process.stderr.write("\n");
    for (const [bench, list] of samples) {
      results.push({
        size,
        files,
        name: bench.name,
        variant: bench.variant,
        label: bench.label,
        runs: list.length,
        medianMs: median(list.map((s) => s.ms)),
        minMs: Math.min(...list.map((s) => s.ms)),
        medianCpuMs: median(list.map((s) => s.cpuMs)),
        medianRssMb: median(list.map((s) => s.rssKb)) / 1024,
        maxRssMb: Math.max(...list.map((s) => s.rssKb)) / 1024,
        samplesMs: list.map((s) => Math.round(s.ms * 10) / 10),
        samples: list,
      });
    }
  }
} finally {
  if (!opts.keep && !opts.out) rmSync(work, { recursive: true, force: true });
}

const find = (size, name, variant) => results.find((r) => r.size === size && r.name === name && r.variant === variant);
const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "-");
const ratio = (a, b) => (a && b ? a / b : NaN);
/** Median of the per-round ratios: each round runs both commands back to back, so load drifts cancel. */
const timeRatio = (a, b) =>
  a && b && a.samples.length === b.samples.length ? median(a.samples.map((s, i) => s.ms / b.samples[i].ms)) : NaN;
const cpuRatio = (a, b) =>
  a && b && a.samples.length === b.samples.length ? median(a.samples.map((s, i) => s.cpuMs / b.samples[i].cpuMs)) : NaN;

const lines = [];
lines.push(`| files | command | median ms | min ms | x node | x baseline | CPU ms | CPU x baseline | peak RSS MB | RSS x baseline |`);
lines.push(`|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|`);
for (const r of results) {
  const node = find(r.size, "node");
  const base = find(r.size, "baseline");
  lines.push(
    `| ${r.size} | ${r.label} | ${fmt(r.medianMs)} | ${fmt(r.minMs)} | ${fmt(timeRatio(r, node), 2)} | ${fmt(timeRatio(r, base), 2)} | ${fmt(r.medianCpuMs)} | ${fmt(cpuRatio(r, base), 2)} | ${fmt(r.maxRssMb, 1)} | ${fmt(ratio(r.maxRssMb, base?.maxRssMb), 2)} |`,
  );
}

/** Cost per file above a bare Node start, so fixed start-up does not hide (or fake) non-linear growth. */
function perFile(name, size, variant) {
  const r = find(size, name, variant);
  const node = find(size, "node");
  return r && node ? (r.medianMs - node.medianMs) / r.files : NaN;
}

const targets = [];
const check = (label, value, limit, unit = "x") => {
  if (Number.isFinite(value))
    targets.push(`| ${label} | ${fmt(value, 2)}${unit} | <= ${limit}${unit} | ${value <= limit ? "met" : "NOT met"} |`);
};
const first = sizes[0];
check("`paved --version` / `node -e ''`", timeRatio(find(first, "version"), find(first, "node")), 1.5);
check("`paved --help` / `node -e ''`", timeRatio(find(first, "help"), find(first, "node")), 1.5);
check(`\`paved new --no-git\` / plain walk, ${first} files`, timeRatio(find(first, "new"), find(first, "baseline")), 0.7);
for (const size of sizes)
  check(
    `\`paved new\` (with git) / plain walk, ${size} files`,
    timeRatio(find(size, "new", "git"), find(size, "baseline")),
    size <= 60 ? 1.0 : 0.6,
  );
for (const size of sizes) {
  const withGit = find(size, "new", "git");
  const without = find(size, "new");
  // Median of per-round differences, like the ratios: both ran back to back in each round.
  const cost =
    withGit && without && withGit.samples.length === without.samples.length
      ? median(withGit.samples.map((s, i) => s.ms - without.samples[i].ms))
      : NaN;
  check(`git cost of \`paved new\` (with git - --no-git), ${size} files`, cost, 60, " ms");
  const cpuCost =
    withGit && without && withGit.samples.length === without.samples.length
      ? median(withGit.samples.map((s, i) => s.cpuMs - without.samples[i].cpuMs))
      : NaN;
  check(`git cost of \`paved new\` in CPU time (all processes), ${size} files`, cpuCost, 60, " ms");
}
check(`\`paved doctor\` / \`node -e ''\`, ${first}-file service`, timeRatio(find(first, "doctor"), find(first, "node")), 3);
for (const size of sizes)
  check(`\`paved upgrade\` / \`paved new\` (with git), ${size} files`, timeRatio(find(size, "upgrade"), find(size, "new", "git")), 1.0);
// The same targets in CPU time (every process of the command): what the load of a shared machine hides least.
check(`\`paved new --no-git\` / plain walk, ${first} files, CPU time`, cpuRatio(find(first, "new"), find(first, "baseline")), 0.7);
for (const size of sizes)
  check(
    `\`paved new\` (with git) / plain walk, ${size} files, CPU time`,
    cpuRatio(find(size, "new", "git"), find(size, "baseline")),
    size <= 60 ? 1.0 : 0.6,
  );
for (const size of sizes)
  check(
    `\`paved upgrade\` / \`paved new\` (with git), ${size} files, CPU time`,
    cpuRatio(find(size, "upgrade"), find(size, "new", "git")),
    1.0,
  );
if (sizes.includes(600))
  check("peak RSS `paved new` / plain walk, 600 files", ratio(find(600, "new")?.maxRssMb, find(600, "baseline")?.maxRssMb), 1.2);
for (const name of ["new", "doctor"]) {
  const ordered = sizes.filter((s) => Number.isFinite(perFile(name, s)) && s >= 600);
  if (ordered.length >= 2) {
    const small = ordered[0];
    const large = ordered[ordered.length - 1];
    check(
      `\`paved ${name}\` cost per file above node start, ${large} vs ${small} files (linear = 1)`,
      perFile(name, large) / perFile(name, small),
      1.5,
    );
  }
}
const tracked = results.find((r) => r.variant === "tracked");
if (tracked) {
  const plain = find(tracked.size, "doctor");
  lines.push("");
  lines.push(
    `doctor with ${opts["doctor-tracked"]} extra tracked files: ${fmt(tracked.medianMs)} ms vs ${fmt(plain?.medianMs)} ms without them.`,
  );
}
for (const size of sizes) {
  const alone = find(size, "gitonly");
  if (!alone) continue;
  lines.push("");
  lines.push(
    `git alone (init, add, commit of the same ${alone.files} files, from a shell): ${fmt(alone.medianMs)} ms, ${fmt(alone.medianCpuMs)} ms CPU: the floor under the git cost of \`paved new\` at ${size} files.`,
  );
}

const table = [
  `paved bench, node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg()[0].toFixed(1)}, ${new Date().toISOString().slice(0, 16)}Z. Interleaved runs; ratios are medians of per-round ratios.`,
  "",
  ...lines,
  "",
  "| target | measured | limit | |",
  "|---|---:|---:|---|",
  ...targets,
  "",
  `(${((Date.now() - started) / 1000).toFixed(0)} s${hasDoctor ? "" : "; doctor not available"}${hasUpgrade ? "" : "; upgrade not available"})`,
].join("\n");
process.stdout.write(table + "\n");
if (opts.markdown) writeFileSync(opts.markdown, table + "\n");
if (opts.json)
  writeFileSync(
    opts.json,
    JSON.stringify({ node: process.version, cpus: os.cpus().length, results: results.map(({ samples, ...r }) => r) }, null, 2) + "\n",
  );

const doctorBench = path.join(ROOT, "bench", "doctor.mjs");
if (existsSync(doctorBench) && wanted("doctor") && !opts["skip-doctor-script"]) {
  process.stdout.write("\nbench/doctor.mjs:\n");
  spawnSync(NODE, [doctorBench], { stdio: "inherit", cwd: ROOT });
}
