import { Interrupted, UserError } from "../errors.js";
import { interruptSignal, interruptedBy, trackChild } from "../fs/cleanup.js";
import { redactUrls } from "../redact.js";

/**
 * node:child_process on first use: loading it (with net, stream and dgram) is a noticeable part of a start-up,
 * and `paved new --no-git` or `paved --help` start no git.
 */
const childProcess = () => process.getBuiltinModule("node:child_process");

/** Stop if paved was interrupted (the signal handler cleans up; nothing more may be changed). */
export function assertNotInterrupted(): void {
  if (interruptSignal.aborted) throw new Interrupted(interruptedBy() ?? "SIGINT");
}

/**
 * A git command that failed in a repository paved works in (a corrupt index, a broken object, a lock left by
 * another git): the repository needs repair, so it is a one-line UserError quoting git's own words, with any
 * credentials in a URL redacted.
 */
export function gitFailure(cwd: string, args: readonly string[], stderr: string, exitCode: number | string | undefined): UserError {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const why = redactUrls(
    lines.find((l) => l.startsWith("fatal:") || l.startsWith("error:")) ?? lines[0] ?? `exited with ${exitCode ?? "an error"}`,
  );
  // git says so only in words; read once here so callers branch on the field.
  const noSpace = stderr.includes("No space left on device");
  return new UserError(`git ${subcommandOf(args)} failed in ${cwd}: ${why}`, {
    hint: "run `git status` there to see what git needs repaired, fix it, then run paved again",
    code: "git",
    fields: { gitMessage: why, ...(noSpace ? { errno: "ENOSPC" } : typeof exitCode === "string" ? { errno: exitCode } : {}) },
  });
}

/** The git command in `args` (`add` in `-c core.bigFileThreshold=1 add --all`): the first word that is not an option or an option's value. */
function subcommandOf(args: readonly string[]): string {
  let valueNext = false;
  for (const arg of args) {
    if (valueNext) valueNext = false;
    else if (arg === "-c" || arg === "-C") valueNext = true;
    else if (!arg.startsWith("-")) return arg;
  }
  return args[0] ?? "";
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Run git in `cwd` and return what it printed, whatever its exit code (for commands whose failure is an answer,
 * such as `rev-parse --verify`). `env` is added to paved's environment. Stops with paved on Ctrl-C, and an
 * interrupt waits for it to exit.
 * node:child_process directly: execa cost ~20-40 ms to load and a few ms a call, and simple-git waits ~50 ms
 * after a command that prints nothing; `paved new` runs git four times.
 */
export async function tryGit(
  cwd: string,
  args: readonly string[],
  input?: string | Uint8Array,
  env?: Readonly<Record<string, string>>,
): Promise<GitResult> {
  assertNotInterrupted();
  const result = await trackChild(
    new Promise<{ stdout: string; stderr: string; exitCode: number | null; started: boolean; errno?: string }>((resolve) => {
      const child = childProcess().spawn("git", args, {
        cwd,
        env: env ? { ...process.env, ...env } : process.env,
        stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
        signal: interruptSignal,
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let errno: string | undefined;
      child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
      child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
      child.on("error", (error: NodeJS.ErrnoException) => {
        errno ??= error.code;
      });
      if (input !== undefined && child.stdin) {
        // git may exit before reading all of its input (a failure): its exit code says what happened.
        child.stdin.on("error", () => {});
        child.stdin.end(input);
      }
      child.on("close", (code) => {
        resolve({
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8"),
          exitCode: code,
          started: child.pid !== undefined,
          ...(errno ? { errno } : {}),
        });
      });
    }),
  );
  assertNotInterrupted();
  if (!result.started) {
    // git did not start (not installed, cwd gone): the same one-line error as any other git failure.
    throw gitFailure(cwd, args, result.stderr, result.errno);
  }
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 1 };
}

/** Run git in `cwd`; stdout as text. A failure is a UserError quoting git. */
export async function runGit(cwd: string, args: readonly string[], input?: string | Uint8Array): Promise<string> {
  const result = await tryGit(cwd, args, input);
  if (result.exitCode !== 0) throw gitFailure(cwd, args, result.stderr, result.exitCode);
  return result.stdout;
}

/**
 * Options that make one git command store the blobs it writes in a single new pack (git's bulk check-in) instead
 * of a loose object file each, plus a fan-out directory: most of the time `git add` or `update-index` spends on a
 * few hundred files. Git still converts what `.gitattributes` and `core.autocrlf` say to convert (it streams only
 * blobs it would not convert). Only for commands that hold the bulk check-in open for all their blobs: `git add`
 * always has; `update-index` (see bulkCheckInForUpdateIndex) only since git 2.37, and before that it would write
 * a pack per blob.
 */
export const BULK_CHECK_IN: readonly string[] = ["-c", "core.bigFileThreshold=1"];

let versionOfGit: Promise<readonly [number, number] | undefined> | undefined;

/**
 * git's version (major, minor), asked once per process; undefined when it cannot be read. A caller that will need
 * it may ask early without waiting, so the answer is there by the time it is needed.
 */
function gitVersion(): Promise<readonly [number, number] | undefined> {
  versionOfGit ??= tryGit(process.cwd(), ["version"]).then(
    (r) => {
      const m = /^git version (\d+)\.(\d+)/.exec(r.stdout);
      return r.exitCode === 0 && m ? ([Number(m[1]), Number(m[2])] as const) : undefined;
    },
    () => undefined,
  );
  return versionOfGit;
}

/** BULK_CHECK_IN for `git update-index`, where this git holds the check-in open for all blobs (2.37 and later); else nothing. */
export async function bulkCheckInForUpdateIndex(): Promise<readonly string[]> {
  const version = await gitVersion();
  return version !== undefined && (version[0] > 2 || (version[0] === 2 && version[1] >= 37)) ? BULK_CHECK_IN : [];
}

/**
 * Run git synchronously, for the few calls that must happen inside a synchronous transaction (the index
 * update inside the atomic apply, where no signal handler may interleave). A failure is a UserError quoting git.
 */
export function runGitSync(cwd: string, args: readonly string[], input?: string): string {
  const result = childProcess().spawnSync("git", args, { cwd, encoding: "utf8", ...(input !== undefined ? { input } : {}) });
  if (result.error || result.status !== 0) {
    throw gitFailure(
      cwd,
      args,
      result.stderr ?? "",
      result.error ? (result.error as NodeJS.ErrnoException).code : (result.status ?? result.signal ?? undefined),
    );
  }
  return result.stdout;
}

/**
 * NUL-separated paths git prints (`ls-files -z`), read synchronously; undefined when git fails or is missing
 * (doctor reads what it can: a directory outside git is walked instead).
 */
export function gitPathsSync(cwd: string, args: readonly string[]): string[] | undefined {
  const result = childProcess().spawnSync("git", args, {
    cwd,
    encoding: "buffer",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout.toString("utf8").split("\0").filter(Boolean);
}

export interface GitBytesResult {
  /** What git printed, as bytes: `cat-file --batch` output holds binary blobs. */
  stdout: Uint8Array;
  stderr: string;
  exitCode: number;
  timedOut: boolean;
}

export interface GitBytesOptions {
  input?: Uint8Array;
  /** Added to paved's environment (not replacing it: HOME and PATH keep credential helpers and ssh working). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Run git in `cwd` for bytes, whatever its exit code (the caller names the repository in its error, e.g. a
 * template source's cache). Stops with paved on Ctrl-C; a git that did not start is the usual one-line error.
 */
export async function tryGitBytes(cwd: string, args: readonly string[], options: GitBytesOptions = {}): Promise<GitBytesResult> {
  const { execa } = await import("execa");
  const result = await trackChild(
    execa("git", args, {
      cwd,
      encoding: "buffer",
      reject: false,
      stripFinalNewline: false,
      cancelSignal: interruptSignal,
      ...(options.input !== undefined ? { input: options.input } : { stdin: "ignore" as const }),
      ...(options.env ? { env: options.env } : {}),
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    }),
  );
  assertNotInterrupted();
  const stderr = Buffer.from(result.stderr ?? new Uint8Array()).toString("utf8");
  if (result.failed && result.exitCode === undefined && !result.timedOut) throw gitFailure(cwd, args, stderr, result.code);
  return { stdout: result.stdout ?? new Uint8Array(), stderr, exitCode: result.exitCode ?? 1, timedOut: result.timedOut };
}
