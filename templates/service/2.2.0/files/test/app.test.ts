import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp, type App, type AppOptions } from "../src/app.js";
import { createLogger } from "../src/logger.js";
import { service } from "../src/service.js";

const started: App[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((app) => app.server.close()));
});

/** Start the app on a free port and return its base URL: these tests talk HTTP to a real listener. */
async function start(options: Partial<AppOptions> = {}, setup?: (app: App) => void): Promise<{ app: App; url: string }> {
  const app = buildApp({ logger: createLogger("silent"), ...options });
  started.push(app);
  setup?.(app);
  await app.server.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

describe("probes", () => {
  it("/healthz answers 200", async () => {
    const { url } = await start();
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("/readyz answers 200, then 503 once shutting down", async () => {
    const { app, url } = await start();
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    app.markShuttingDown();
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "shutting down" });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("/readyz answers 503 naming the failing check", async () => {
    const { url } = await start({
      readinessChecks: {
        database: async () => {
          throw new Error("connection refused");
        },
      },
    });
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "not ready", checks: { database: "connection refused" } });
  });

  it("/readyz fails a check that hangs", async () => {
    const { url } = await start({ readinessChecks: { slow: () => new Promise(() => {}) }, readinessTimeoutMs: 50 });
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "not ready", checks: { slow: "no answer within 50 ms" } });
  });
});

describe("/metrics", () => {
  it("exposes process metrics and a request histogram by route and status", async () => {
    const { url } = await start();
    await fetch(`${url}/healthz`);
    await fetch(`${url}/no-such-page`);
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await response.text();
    expect(body).toContain("# TYPE http_request_duration_seconds histogram");
    expect(body).toMatch(/^http_request_duration_seconds_count\{route="\/healthz",status="200"\} 1$/m);
    expect(body).toMatch(/^http_request_duration_seconds_count\{route="unmatched",status="404"\} 1$/m);
    expect(body).toContain("process_cpu_user_seconds_total");
    expect(body).toContain("nodejs_eventloop_lag_seconds");
  });
});

describe("requests", () => {
  it("/ describes the service", async () => {
    const { url } = await start();
    expect(await (await fetch(url)).json()).toEqual({ name: service.name, description: service.description });
  });

  it("keeps a sane x-request-id and replaces a hostile one", async () => {
    const { url } = await start();
    const kept = await fetch(`${url}/healthz`, { headers: { "x-request-id": "abc-123" } });
    expect(kept.headers.get("x-request-id")).toBe("abc-123");
    const replaced = await fetch(`${url}/healthz`, { headers: { "x-request-id": "a b\tc" } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("logs one JSON line per request with its request id", async () => {
    const lines: string[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(line) });
    const { url } = await start({ logger });
    await fetch(`${url}/`, { headers: { "x-request-id": "req-42" } });
    const entry = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((e) => e.msg === "request completed");
    expect(entry).toMatchObject({ level: "info", service: service.name, requestId: "req-42", route: "/", status: 200 });
  });

  it("logs a failing request at error level, probes only at debug, and counts the 500", async () => {
    const lines: string[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(line) });
    const { url } = await start({ logger }, (app) => {
      app.server.get("/boom", async () => {
        throw new Error("boom");
      });
    });
    await fetch(`${url}/healthz`);
    expect((await fetch(`${url}/boom`)).status).toBe(500);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.filter((e) => e.route === "/healthz")).toEqual([]);
    expect(entries.find((e) => e.msg === "request failed")).toMatchObject({ level: "error", route: "/boom", status: 500 });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^http_request_duration_seconds_count\{route="\/boom",status="500"\} 1$/m);
  });
});
