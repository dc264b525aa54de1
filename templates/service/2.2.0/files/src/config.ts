import { z } from "zod";

/** Unset and empty variables both mean "use the default". */
const fromEnv = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), schema);

const integer = (min: number, max: number) =>
  z.coerce.number({ error: "must be a number" }).int("must be a whole number").min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const envSchema = z.object({
  PORT: fromEnv(integer(0, 65535).default({{port}})),
  HOST: fromEnv(z.string().default("0.0.0.0")),
  LOG_LEVEL: fromEnv(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("{{logLevel}}")),
  /** How long /readyz reports "not ready" before the server stops accepting connections, so load balancers drain it first. */
  SHUTDOWN_DELAY_MS: fromEnv(integer(0, 120_000).default(5_000)),
  /** After this long the process exits even if requests are still in flight. */
  SHUTDOWN_TIMEOUT_MS: fromEnv(integer(1_000, 300_000).default(25_000)),
{{#if (eq database "postgres")}}
  DATABASE_URL: z
    .string({ error: "is required, e.g. postgres://user:password@localhost:5432/{{name}}" })
    .regex(/^postgres(ql)?:\/\/\S+$/, "must be a postgres:// connection URL"),
  DATABASE_POOL_MAX: fromEnv(integer(1, 100).default(10)),
{{/if}}
});

export interface Config {
  port: number;
  host: string;
  logLevel: z.infer<typeof envSchema>["LOG_LEVEL"];
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
{{#if (eq database "postgres")}}
  databaseUrl: string;
  databasePoolMax: number;
{{/if}}
}

/** The environment is invalid; `issues` name each variable and what is wrong with it. */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Read and validate the configuration once, at start-up: a bad value stops the service before it serves anything. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join(".");
        const raw = env[name];
        return raw === undefined ? `${name} ${issue.message}` : `${name} ${issue.message} (got ${JSON.stringify(raw)})`;
      }),
    );
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    shutdownDelayMs: e.SHUTDOWN_DELAY_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
{{#if (eq database "postgres")}}
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
{{/if}}
  };
}
