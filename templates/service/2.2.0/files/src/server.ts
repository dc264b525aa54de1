import { buildApp, type ReadinessCheck } from "./app.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
{{#if (eq database "postgres")}}
import { createDatabase } from "./db.js";
{{/if}}
import { createLogger } from "./logger.js";
import { stopTracing } from "./tracing.js";

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every variable and its default.\n`);
      process.exit(1);
    }
    throw error;
  }
}

const config = readConfig();
const logger = createLogger(config.logLevel);
const readinessChecks: Record<string, ReadinessCheck> = {};
{{#if (eq database "postgres")}}
const database = createDatabase({ url: config.databaseUrl, max: config.databasePoolMax, logger });
readinessChecks.database = database.ping;
{{/if}}
const app = buildApp({ logger, readinessChecks });
{{#if (eq database "postgres")}}
app.server.addHook("onClose", async () => database.close());
{{/if}}

process.on("uncaughtException", (error) => {
  logger.fatal({ err: error }, "uncaught exception");
  process.exit(1);
});
process.on("unhandledRejection", (reason) => {
  logger.fatal({ err: reason }, "unhandled promise rejection");
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal, delayMs: config.shutdownDelayMs }, "shutting down: readiness is now false");
  app.markShuttingDown();
  const force = setTimeout(() => {
    logger.error({ timeoutMs: config.shutdownTimeoutMs }, "shutdown timed out; exiting with requests in flight");
    process.exit(1);
  }, config.shutdownTimeoutMs);
  force.unref();
  // Keep serving while the load balancer notices /readyz and stops routing to us.
  await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
  await app.server.close();
  await stopTracing();
  clearTimeout(force);
  logger.info("stopped");
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    shutdown(signal).catch((error: unknown) => {
      logger.fatal({ err: error }, "shutdown failed");
      process.exit(1);
    });
  });
}

try {
  await app.server.listen({ port: config.port, host: config.host });
} catch (error) {
  logger.fatal({ err: error, port: config.port, host: config.host }, "cannot listen");
  process.exit(1);
}
