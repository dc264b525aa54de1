import { register } from "node:module";
import type { NodeSDK } from "@opentelemetry/sdk-node";

let sdk: NodeSDK | undefined;

/**
 * OpenTelemetry tracing, configured by the standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, ...) and off unless an OTLP endpoint
 * is set. Started by src/instrumentation.ts before the app is imported (`node --import`), so the HTTP,
 * Fastify and pino instrumentations see those modules load; pino log lines then carry trace_id and span_id.
 * Metrics stay with Prometheus (/metrics) and logs with stdout unless OTEL_METRICS_EXPORTER /
 * OTEL_LOGS_EXPORTER ask for OTLP too.
 */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === "true" || env.OTEL_TRACES_EXPORTER === "none") return false;
  env.OTEL_SERVICE_NAME ||= {{json name}};
  env.OTEL_METRICS_EXPORTER ||= "none";
  env.OTEL_LOGS_EXPORTER ||= "none";
  // ESM modules are instrumented through a loader hook, registered before they are imported.
  register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
  const [{ NodeSDK }, { OTLPTraceExporter }, { HttpInstrumentation }, { FastifyInstrumentation }, { PinoInstrumentation }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/instrumentation-http"),
    import("@opentelemetry/instrumentation-fastify"),
    import("@opentelemetry/instrumentation-pino"),
  ]);
  sdk = new NodeSDK({
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [
      // Probes and scrapes are not traced: they would drown the traces that matter.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => /^\/(healthz|readyz|metrics)(\?|$)/.test(request.url ?? "") }),
      new FastifyInstrumentation(),
      new PinoInstrumentation(),
    ],
  });
  sdk.start();
  return true;
}

/** Send the spans still buffered; called on shutdown after the server has drained. */
export async function stopTracing(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}
