import { parentPort } from "node:worker_threads";
import { evaluateTarget, type EvaluateOptions } from "./evaluate.js";
import type { Target } from "./targets.js";

/** A pool worker: evaluates one target at a time and posts its row back (see pool.ts). */
export interface Job {
  seq: number;
  target: Target;
  options: EvaluateOptions;
  cache?: { pavedVersion: string };
}

export type JobResult = { seq: number; ok: true; row: unknown } | { seq: number; ok: false; message: string; stack: string };

parentPort?.on("message", (job: Job) => {
  evaluateTarget(job.target, job.options, job.cache).then(
    (row) => parentPort!.postMessage({ seq: job.seq, ok: true, row } satisfies JobResult),
    (error: unknown) => {
      const err = error instanceof Error ? error : new Error(String(error));
      parentPort!.postMessage({ seq: job.seq, ok: false, message: err.message, stack: err.stack ?? err.message } satisfies JobResult);
    },
  );
});
