import pg from "pg";
import type { Logger } from "./logger.js";

export interface Database {
  pool: pg.Pool;
  /** Resolves when the database answers a trivial query; used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A connection pool that connects lazily, so the service starts (and is live) even while the database is down. */
export function createDatabase(options: { url: string; max: number; logger: Logger }): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    application_name: {{json name}},
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", (error) => options.logger.warn({ err: error }, "idle database connection failed"));
  return {
    pool,
    ping: async () => {
      await pool.query("select 1");
    },
    close: () => pool.end(),
  };
}
