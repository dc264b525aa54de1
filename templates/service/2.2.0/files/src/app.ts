import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "./logger.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { service } from "./service.js";

/** Something /readyz asks before it says yes, e.g. "can I reach the database". Throws when not ready. */
export type ReadinessCheck = () => Promise<void>;

export interface AppOptions {
  logger: Logger;
  /** Named checks that must all pass for /readyz to answer 200. */
  readinessChecks?: Record<string, ReadinessCheck>;
  /** Milliseconds a readiness check may take before it counts as failed. */
  readinessTimeoutMs?: number;
}

export interface App {
  server: FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;
  metrics: Metrics;
  /** From now on /readyz answers 503, so the load balancer stops sending traffic before we stop. */
  markShuttingDown(): void;
}

const PROBE_ROUTES = new Set(["/healthz", "/readyz", "/metrics"]);
const REQUEST_ID = /^[\w.:-]{1,128}$/;

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? "unmatched";
}

/** One log line per finished request (none when it starts); probes only at debug level so they do not drown the rest. */
class RequestLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: "requestId" });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const route = routeOf(request);
    const entry = { method: request.method, route, url: request.url, status: reply.statusCode, durationMs: Math.round(reply.elapsedTime) };
    if (error) request.log.error({ ...entry, err: error }, "request failed");
    else if (PROBE_ROUTES.has(route)) request.log.debug(entry, "request completed");
    else if (reply.statusCode >= 500) request.log.error(entry, "request failed");
    else request.log.info(entry, "request completed");
  }
}

function withTimeout(check: ReadinessCheck, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([check(), timeout]).finally(() => clearTimeout(timer));
}

export function buildApp(options: AppOptions): App {
  const { logger, readinessChecks = {}, readinessTimeoutMs = 2_000 } = options;
  const metrics = createMetrics();
  let shuttingDown = false;

  const server = Fastify({
    loggerInstance: logger,
    // A caller's (or the ingress's) x-request-id is kept when it is sane, otherwise we make one.
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logController: new RequestLog(),
  });

  server.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });

  // Route templates (/users/:id), never raw URLs, keep the label set small.
  server.addHook("onResponse", async (request, reply) => {
    metrics.httpRequestDuration.observe({ route: routeOf(request), status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  server.get("/", async () => ({ name: service.name, description: service.description }));

  // Liveness: the process can answer. Dependencies are not checked here, so an outage elsewhere never restarts us.
  server.get("/healthz", async () => ({ status: "ok" }));

  // Readiness: we want traffic. False while shutting down or while a dependency is unreachable.
  server.get("/readyz", async (request, reply) => {
    if (shuttingDown) return reply.code(503).send({ status: "shutting down" });
    const results: Record<string, string> = {};
    let ready = true;
    await Promise.all(
      Object.entries(readinessChecks).map(async ([name, check]) => {
        try {
          await withTimeout(check, readinessTimeoutMs);
          results[name] = "ok";
        } catch (error) {
          ready = false;
          results[name] = error instanceof Error ? error.message : String(error);
          request.log.warn({ check: name, err: error }, "readiness check failed");
        }
      }),
    );
    return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", checks: results });
  });

  server.get("/metrics", async (_request, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return {
    server,
    metrics,
    markShuttingDown: () => {
      shuttingDown = true;
    },
  };
}
