#!/usr/bin/env node
// How long `paved doctor` takes on a generated service and on a 10,000-file repository, against the cost
// of starting Node at all (`node -e ''`) measured in the same run, so the numbers mean the same on any machine.
// Usage: npm run build && node bench/doctor.mjs [--runs 7] [--files 10000]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BENCH_ENV } from "./common.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = path.join(root, "bin", "paved.cjs");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const RUNS = option("--runs", 7);
const FILES = option("--files", 10_000);
const env = BENCH_ENV;

function timeOnce(command, commandArgs, cwd) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, commandArgs, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, status: result.status, stderr: result.stderr.toString() };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Median and minimum wall time of RUNS runs after one warm-up (page cache, git index), checking the exit
 * code. On a busy machine the minimum is the better estimate of the cost itself.
 */
function measure(command, commandArgs, cwd, expectStatus = 0) {
  const warm = timeOnce(command, commandArgs, cwd);
  if (warm.status !== expectStatus) throw new Error(`${command} ${commandArgs.join(" ")} exited ${warm.status}: ${warm.stderr}`);
  const times = Array.from({ length: RUNS }, () => timeOnce(command, commandArgs, cwd).ms);
  return { median: median(times), min: Math.min(...times) };
}

const work = mkdtempSync(path.join(tmpdir(), "paved-bench-doctor-"));
try {
  const service = path.join(work, "bench-svc");
  execFileSync(process.execPath, [bin, "new", "service", service, "--set", "owner=team-bench", "--no-install"], { env, stdio: "ignore" });

  const nodeBaseline = measure(process.execPath, ["-e", ""], work);
  const small = measure(process.execPath, [bin, "doctor", service], work);
  const tracked = execFileSync("git", ["ls-files"], { cwd: service, env }).toString().trim().split("\n").length;

  // The same service with more and more tracked source files (a few hundred bytes each, like real code),
  // measured at a quarter, half and all of FILES to show how the cost grows.
  const big = path.join(work, "big-svc");
  execFileSync("cp", ["-R", service, big]);
  const steps = [Math.round(FILES / 4), Math.round(FILES / 2), FILES];
  const rows = [];
  let written = 0;
  for (const step of steps) {
    for (; written < step; written++) {
      const dir = path.join(big, "src", "generated", `m${Math.floor(written / 100)}`);
      if (written % 100 === 0) mkdirSync(dir, { recursive: true });
      writeFileSync(
        path.join(dir, `part${written}.ts`),
        `// Generated module ${written} of the benchmark.\nexport const id${written} = ${written};\nexport function handler${written}(input: string): string {\n  const token = input.trim();\n  return \`\${token}-${written}\`;\n}\n`,
      );
    }
    execFileSync("git", ["add", "--all"], { cwd: big, env });
    execFileSync("git", ["commit", "--quiet", "--no-verify", "-m", `${step} files`], { cwd: big, env });
    rows.push({ files: tracked + step, time: measure(process.execPath, [bin, "doctor", big], work) });
  }
  const nodeAgain = measure(process.execPath, ["-e", ""], work);
  const baseline = nodeBaseline.median <= nodeAgain.median ? nodeBaseline : nodeAgain;

  const cell = (m, base) => `${m.toFixed(0).padStart(6)} ms ${(m / base).toFixed(1).padStart(5)}x`;
  const row = (label, files, t) =>
    `${label.padEnd(26)} ${String(files).padStart(6)}  ${cell(t.median, baseline.median)}  ${cell(t.min, baseline.min)}`;
  console.log(`paved doctor: ${RUNS} runs each (node ${process.version}, ${process.platform}/${process.arch}); ratios against node -e ''`);
  console.log(`${"".padEnd(26)} ${"files".padStart(6)}  ${"median".padStart(16)}  ${"min".padStart(16)}`);
  console.log(row("node -e ''", "", baseline));
  console.log(row("generated service", tracked, small));
  for (const r of rows) console.log(row(`service + ${r.files - tracked} files`, r.files, r.time));
  const last = rows[rows.length - 1];
  const start = { files: tracked, time: small };
  for (const stat of ["median", "min"]) {
    const perFile = (first, second) => ((second.time[stat] - first.time[stat]) / (second.files - first.files)) * 1000;
    const steps = rows.map((r, i) => perFile(i === 0 ? start : rows[i - 1], r).toFixed(0));
    console.log(
      `marginal cost per tracked file (µs, ${stat}s): step by step ${steps.join(", ")}; from the service to the last ${perFile(start, last).toFixed(0)}`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
