import { parentPort } from "node:worker_threads";
import { evaluatePrepared, type EvaluateOptions, type Prepared } from "./evaluate.js";

/** A pool worker: evaluates one target at a time and posts its row back (see pool.ts). */
export interface Job {
  seq: number;
  prepared: Prepared;
  options: EvaluateOptions;
}

export type JobResult = { seq: number; ok: true; row: unknown } | { seq: number; ok: false; message: string; stack: string };

// Imported outside a worker thread (no parentPort), this module does nothing.
const port = parentPort;
port?.on("message", (job: Job) => {
  evaluatePrepared(job.prepared, job.options).then(
    (row) => port.postMessage({ seq: job.seq, ok: true, row } satisfies JobResult),
    (error: unknown) => {
      const err = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ seq: job.seq, ok: false, message: err.message, stack: err.stack ?? err.message } satisfies JobResult);
    },
  );
});
