import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { EvaluateOptions, Prepared } from "./evaluate.js";
import type { ServiceRow } from "./model.js";
import type { Target } from "./targets.js";
import type { Job, JobResult } from "./worker.js";

export interface PoolOptions {
  /** Workers to start; default: the cores paved may use. */
  concurrency?: number;
  /** Each row as it arrives (progress). */
  onRow?: (row: ServiceRow, done: number, total: number) => void;
  /** Reuse rows of unchanged repositories from PAVED_CACHE (see cache.ts). */
  cache?: { pavedVersion: string };
}

/** Clones, fetches and cache look-ups are I/O: this many at once, whatever the cores. */
const PREPARE_CONCURRENCY = 8;

/** The built worker (dist/fleet/worker.js). Running from sources (unit tests) there is none: evaluate in-process. */
function workerFile(): string | undefined {
  const file = fileURLToPath(new URL("./worker.js", import.meta.url));
  return existsSync(file) ? file : undefined;
}

export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  // One iterator shared by every lane: each item is taken once, by whichever lane is free.
  const queue = items.entries();
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (const [i, item] of queue) out[i] = await work(item, i);
  });
  await Promise.all(lanes);
  return out;
}

/**
 * Every target's row, in the targets' order. Targets are resolved (cloned, fetched) and looked up in the cache
 * first; the rest are evaluated at most `concurrency` at a time in worker threads, each holding one
 * repository's trees at a time and streaming its row back, so memory stays flat however large the fleet.
 */
export async function evaluateAll(targets: readonly Target[], options: EvaluateOptions, pool: PoolOptions = {}): Promise<ServiceRow[]> {
  const { evaluatePrepared, prepareTarget } = await import("./evaluate.js");
  const rows: ServiceRow[] = new Array(targets.length);
  let done = 0;
  const record = (seq: number, row: ServiceRow) => {
    rows[seq] = row;
    pool.onRow?.(row, ++done, targets.length);
  };
  const prepared = await mapLimited(targets, PREPARE_CONCURRENCY, (target) => prepareTarget(target, options, pool.cache));
  const jobs: { seq: number; prepared: Prepared }[] = [];
  for (const [seq, p] of prepared.entries()) {
    if ("row" in p) record(seq, p.row);
    else jobs.push({ seq, prepared: p });
  }

  const size = Math.max(1, Math.min(pool.concurrency ?? availableParallelism(), jobs.length));
  const file = workerFile();
  if (jobs.length === 0) return rows;
  if (size === 1 || !file) {
    for (const job of jobs) record(job.seq, await evaluatePrepared(job.prepared, options));
    return rows;
  }
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    const workers: Worker[] = [];
    let finished = 0;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      void Promise.all(workers.map((w) => w.terminate()));
      reject(error);
    };
    const feed = (worker: Worker) => {
      const job = jobs[next++];
      if (job === undefined) {
        void worker.terminate();
        return;
      }
      worker.postMessage({ seq: job.seq, prepared: job.prepared, options } satisfies Job);
    };
    for (let i = 0; i < size; i++) {
      const worker = new Worker(file);
      workers.push(worker);
      worker.on("message", (result: JobResult) => {
        if (failed) return;
        if (!result.ok) {
          const error = new Error(result.message);
          error.stack = result.stack;
          fail(error);
          return;
        }
        record(result.seq, result.row as ServiceRow);
        if (++finished === jobs.length) resolve();
        feed(worker);
      });
      worker.on("error", fail);
      feed(worker);
    }
  });
  return rows;
}
