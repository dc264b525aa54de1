// Loaded with `node --import` before the app (see package.json's start and the Dockerfile's CMD): tracing must
// start before http, fastify and pino are imported. Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
import { startTracing } from "./tracing.js";

await startTracing();
