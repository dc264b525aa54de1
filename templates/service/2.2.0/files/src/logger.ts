import { pino, type Logger } from "pino";
import { service } from "./service.js";

export type { Logger };

/** JSON lines on stdout, one object per event, with the service name on each for the log pipeline. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: service.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: ["req.headers.authorization", "req.headers.cookie"],
    },
    destination,
  );
}
