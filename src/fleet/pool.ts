import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ServiceRow } from "./model.js";
import type { Target } from "./targets.js";
import type { EvaluateOptions } from "./evaluate.js";
import type { Job, JobResult } from "./worker.js";

export interface PoolOptions {
  /** Workers to start; default: the cores paved may use. */
  concurrency?: number;
  /** Each row as it arrives (progress). */
  onRow?: (row: ServiceRow, done: number, total: number) => void;
  /** Reuse rows of unchanged repositories from PAVED_CACHE (see cache.ts). */
  cache?: { pavedVersion: string };
}

/** The built worker (dist/fleet/worker.js). Running from sources (unit tests) there is none: evaluate in-process. */
function workerFile(): string | undefined {
  const file = fileURLToPath(new URL("./worker.js", import.meta.url));
  return existsSync(file) ? file : undefined;
}

/**
 * Evaluate every target, at most `concurrency` at a time, in worker threads: each worker holds one
 * repository's trees at a time and streams its row back, so memory stays flat however large the fleet.
 * Rows come back in the targets' order.
 */
export async function evaluateAll(targets: readonly Target[], options: EvaluateOptions, pool: PoolOptions = {}): Promise<ServiceRow[]> {
  const size = Math.max(1, Math.min(pool.concurrency ?? availableParallelism(), targets.length));
  const file = workerFile();
  const rows: ServiceRow[] = new Array(targets.length);
  let done = 0;
  const record = (seq: number, row: ServiceRow) => {
    rows[seq] = row;
    pool.onRow?.(row, ++done, targets.length);
  };
  if (size === 1 || !file) {
    const { evaluateTarget } = await import("./evaluate.js");
    for (const [seq, target] of targets.entries()) record(seq, await evaluateTarget(target, options, pool.cache));
    return rows;
  }
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    const workers: Worker[] = [];
    let failed = false;
    const stopAll = () => void Promise.all(workers.map((w) => w.terminate()));
    const feed = (worker: Worker) => {
      if (next >= targets.length) {
        void worker.terminate();
        if (done === targets.length) resolve();
        return;
      }
      const seq = next++;
      worker.postMessage({ seq, target: targets[seq]!, options, ...(pool.cache ? { cache: pool.cache } : {}) } satisfies Job);
    };
    for (let i = 0; i < size; i++) {
      const worker = new Worker(file);
      workers.push(worker);
      worker.on("message", (result: JobResult) => {
        if (failed) return;
        if (!result.ok) {
          failed = true;
          stopAll();
          const error = new Error(result.message);
          error.stack = result.stack;
          reject(error);
          return;
        }
        record(result.seq, result.row as ServiceRow);
        feed(worker);
      });
      worker.on("error", (error) => {
        if (failed) return;
        failed = true;
        stopAll();
        reject(error);
      });
      feed(worker);
    }
  });
  return rows;
}
