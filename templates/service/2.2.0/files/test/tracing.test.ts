import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";

interface Span { name: string; kind: number; traceId: string; attributes?: Array<{ key: string; value: { stringValue?: string; intValue?: number | string } }> }
interface Export { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Span[] }> }> }

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const stop of cleanup.splice(0)) stop();
});

/** A tiny OTLP/HTTP receiver (JSON, as @opentelemetry/exporter-trace-otlp-http sends it) that keeps what it gets. */
async function otlpReceiver(): Promise<{ url: string; traces: Export[] }> {
  const traces: Export[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.url === "/v1/traces") traces.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Export);
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanup.push(() => server.close());
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, traces };
}

{{#if (eq database "postgres")}}
const databaseEnv = { DATABASE_URL: "postgres://app:secret@127.0.0.1:1/{{name}}" };
{{else}}
const databaseEnv = {};
{{/if}}

describe("tracing", () => {
  it("with OTEL_EXPORTER_OTLP_ENDPOINT set, a request's server span reaches the collector with the service name, and its logs carry the trace id", async () => {
    const receiver = await otlpReceiver();
    const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "--import", "./src/instrumentation.ts", "src/server.ts"], {
      env: { ...process.env, ...databaseEnv, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", SHUTDOWN_DELAY_MS: "0", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "", OTEL_BSP_SCHEDULE_DELAY: "100" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    cleanup.push(() => child.exitCode === null && child.kill("SIGKILL"));
    const logs: string[] = [];
    let url = "";
    const lines = createInterface({ input: child.stdout! });
    for await (const line of lines) {
      logs.push(line);
      const match = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(line);
      if (match) {
        url = match[1]!;
        break;
      }
    }
    lines.on("line", (line) => logs.push(line));
    expect(url).not.toBe("");
    expect((await fetch(`${url}/`)).status).toBe(200);
    // SIGTERM flushes what is buffered (src/server.ts stops tracing after draining).
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    expect((await exited)[0]).toBe(0);

    const resources = receiver.traces.flatMap((t) => t.resourceSpans);
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) {
      expect(resource.resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: {{json name}} } });
    }
    const spans = resources.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    // SpanKind.SERVER is 2: the HTTP instrumentation's span for GET /.
    const server = spans.find((s) => s.kind === 2 && s.name.startsWith("GET"));
    expect(server, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
    const completed = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "request completed");
    expect(completed?.trace_id).toBe(server!.traceId);
  });

  it("stays off without an endpoint: no exporter, no trace ids in the logs", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "--import", "./src/instrumentation.ts", "src/server.ts"], {
      env: { ...process.env, ...databaseEnv, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", SHUTDOWN_DELAY_MS: "0", OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    cleanup.push(() => child.exitCode === null && child.kill("SIGKILL"));
    const lines = createInterface({ input: child.stdout! });
    const logs: string[] = [];
    let url = "";
    for await (const line of lines) {
      logs.push(line);
      const match = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(line);
      if (match) {
        url = match[1]!;
        break;
      }
    }
    lines.on("line", (line) => logs.push(line));
    expect((await fetch(`${url}/`)).status).toBe(200);
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    expect((await exited)[0]).toBe(0);
    expect(logs.join("\n")).not.toContain("trace_id");
  });
});
