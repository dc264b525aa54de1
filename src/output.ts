import { Chalk, type ChalkInstance } from "chalk";
import type { ErrorFields } from "./errors.js";
import { redactUrls } from "./redact.js";
import { escapeControlChars } from "./terminal-text.js";

export interface OutputOptions {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
}

/**
 * File content a person asked to see (a diff's patch), printed byte for byte: the one exception to the
 * URL redaction every message and JSON value gets.
 */
export class Verbatim {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}

/** A message as shown: URLs without credentials, control characters escaped (paved's own line breaks kept). */
export function safeMessage(message: string): string {
  return redactUrls(escapeControlChars(message, { keepNewlines: true }));
}

/** Every string in a JSON value with its URLs redacted (Verbatim values excepted). */
function redactValue(value: unknown): unknown {
  if (typeof value === "string") return redactUrls(value);
  if (value instanceof Verbatim || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(redactValue);
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === "function") return redactValue(toJSON.call(value));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v)]));
}

/**
 * Where everything a command says goes: logs and progress to stderr, results to stdout.
 * With `--json` stdout carries exactly one JSON object and human logs are silenced.
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly c: ChalkInstance;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream;

  constructor(options: OutputOptions = {}, streams: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {}) {
    this.json = options.json ?? false;
    this.quiet = options.quiet ?? false;
    this.stdout = streams.stdout ?? process.stdout;
    this.stderr = streams.stderr ?? process.stderr;
    this.c = new Chalk({ level: resolveColorLevel(options.color, this.stderr) });
  }

  /** Progress and notes for a person; silent with --quiet or --json. */
  info(message: string): void {
    if (!this.quiet && !this.json) this.stderr.write(redactUrls(message) + "\n");
  }

  warn(message: string): void {
    if (!this.json) this.stderr.write(this.c.yellow("warning: ") + safeMessage(message) + "\n");
  }

  /** A result for a person: stdout, unless --json (then use `result`) or --quiet (nothing on stdout: the exit code answers). */
  print(message: string | Verbatim): void {
    if (!this.json && !this.quiet) this.stdout.write((message instanceof Verbatim ? message.text : redactUrls(message)) + "\n");
  }

  /** Like `print`, for bytes that must reach stdout unchanged (a diff of a Latin-1 file, as git prints it). */
  printBytes(data: Uint8Array): void {
    if (!this.json && !this.quiet) this.stdout.write(Buffer.concat([data, Buffer.from("\n")]));
  }

  /** The one JSON object of a --json run. */
  result(value: unknown): void {
    if (this.json) this.stdout.write(JSON.stringify(redactValue(value), null, 2) + "\n");
  }

  /** An error: one line and its fix on stderr; with --json, the error object (with its code and fields, when known) on stdout. */
  error(message: string, hint?: string, data: { code?: string; fields?: ErrorFields } = {}): void {
    const shown = safeMessage(message);
    const fix = hint === undefined ? undefined : safeMessage(hint);
    if (this.json) {
      this.stdout.write(JSON.stringify(redactValue({ ok: false, error: { message: shown, hint: fix, ...data } }), null, 2) + "\n");
      return;
    }
    this.stderr.write(this.c.red("error: ") + shown + "\n");
    if (fix) this.stderr.write(this.c.dim("fix: ") + fix + "\n");
  }
}

/** NO_COLOR and FORCE_COLOR win over the TTY check; --no-color wins over both. */
export function resolveColorLevel(flag: boolean | undefined, stream: NodeJS.WritableStream): 0 | 1 | 2 | 3 {
  if (flag === false) return 0;
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === "0" || force === "false") return 0;
    const n = Number(force);
    return n >= 1 && n <= 3 ? (n as 1 | 2 | 3) : 1;
  }
  return (stream as NodeJS.WriteStream).isTTY ? 1 : 0;
}
