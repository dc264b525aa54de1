import { Chalk, type ChalkInstance } from "chalk";

export interface OutputOptions {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
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
    if (!this.quiet && !this.json) this.stderr.write(message + "\n");
  }

  warn(message: string): void {
    if (!this.json) this.stderr.write(this.c.yellow("warning: ") + message + "\n");
  }

  /** A result for a person: stdout, unless --json (then use `result`). */
  print(message: string): void {
    if (!this.json) this.stdout.write(message + "\n");
  }

  /** Like `print`, for bytes that must reach stdout unchanged (a diff of a Latin-1 file, as git prints it). */
  printBytes(data: Uint8Array): void {
    if (!this.json) this.stdout.write(Buffer.concat([data, Buffer.from("\n")]));
  }

  /** The one JSON object of a --json run. */
  result(value: unknown): void {
    if (this.json) this.stdout.write(JSON.stringify(value, null, 2) + "\n");
  }

  error(message: string, hint?: string): void {
    if (this.json) {
      this.stdout.write(JSON.stringify({ ok: false, error: { message, hint } }, null, 2) + "\n");
      return;
    }
    this.stderr.write(this.c.red("error: ") + message + "\n");
    if (hint) this.stderr.write(this.c.dim("fix: ") + hint + "\n");
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
