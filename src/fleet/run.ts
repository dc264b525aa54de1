import { readFileSync } from "node:fs";
import type { EvaluateOptions } from "./evaluate.js";
import type { FleetOptions, FleetReport } from "./model.js";
import { evaluateAll, type PoolOptions } from "./pool.js";
import { buildReport } from "./rollup.js";
import { selectTargets, type TargetSelection } from "./targets.js";

export const PAVED_VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
  .version;

export interface FleetRunOptions extends EvaluateOptions, TargetSelection {
  /** Reuse rows of unchanged repositories (PAVED_CACHE); --no-cache turns it off. */
  cache: boolean;
}

/** `paved fleet report` as a plain function: discover, shard, evaluate in the pool, roll up. */
export async function runFleetReport(options: FleetRunOptions, pool: PoolOptions = {}): Promise<FleetReport> {
  const targets = selectTargets(options);
  const shard = options.shard;
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
