import { readFileSync } from "node:fs";
import type { EvaluateOptions } from "./evaluate.js";
import type { FleetOptions, FleetReport } from "./model.js";
import { evaluateAll, type PoolOptions } from "./pool.js";
import { buildReport } from "./rollup.js";
import { discoverTargets, inShard, readReposFile, type Shard } from "./targets.js";

export const PAVED_VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

export interface FleetRunOptions extends EvaluateOptions {
  targets: readonly string[];
  reposFile?: string;
  maxDepth: number;
  shard: Shard | null;
  cwd: string;
  /** Reuse rows of unchanged repositories (PAVED_CACHE); --no-cache turns it off. */
  cache: boolean;
}

/** `paved fleet report` as a plain function: discover, shard, evaluate in the pool, roll up. */
export async function runFleetReport(options: FleetRunOptions, pool: PoolOptions = {}): Promise<FleetReport> {
  const specs = [...options.targets, ...(options.reposFile ? readReposFile(options.reposFile, options.cwd) : [])];
  const all = discoverTargets(specs.length ? specs : ["."], { cwd: options.cwd, maxDepth: options.maxDepth });
  const shard = options.shard;
  const targets = shard ? all.filter((t) => inShard(t.id, shard)) : all;
  const evaluate: EvaluateOptions = {
    asOf: options.asOf,
    deployTag: options.deployTag,
    deployBranch: options.deployBranch,
    stickinessDays: options.stickinessDays,
    waiverWarningDays: options.waiverWarningDays,
  };
  const rows = await evaluateAll(targets, evaluate, { ...pool, ...(options.cache ? { cache: { pavedVersion: PAVED_VERSION } } : {}) });
  const reportOptions: FleetOptions = { ...evaluate, shard };
  return buildReport(rows, reportOptions, PAVED_VERSION);
}
