/** Exit codes from the product contract. */
export const ExitCode = {
  ok: 0,
  problem: 1,
  usage: 2,
  internal: 70,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * What an error is about, set where it is raised so readers (lint, doctor, the CLI) use data, never the
 * message text. Every field is optional; `code` says which fields to expect.
 */
export interface ErrorFields {
  /** The file the mistake is in, as shown to the user (template-relative for templates). */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** A template variable (answer) the mistake is about. */
  variable?: string;
  /** The command-line flag, e.g. `--grace-days`. */
  flag?: string;
  /** What was given to `flag`, when the mistake is that value and it is not a file (`--to 9.9.9`). */
  value?: string;
  /** git's own one-line explanation, credentials redacted. */
  gitMessage?: string;
  /** An errno-style cause (`ENOSPC`), where the failure is the machine's rather than the input's. */
  errno?: string;
}

/** Stable names for the kinds of UserError a reader branches on. */
export type UserErrorCode =
  | "user"
  | "option"
  | "git"
  | "git-cache"
  | "missing-answer"
  | "invalid-answer"
  | "unsafe-path"
  | "template-collision"
  | "template-syntax"
  | "template-unknown-variable"
  | "template-too-deep"
  | "overlap"
  | "paved-too-old";

/**
 * Where a mistake is, as the one-line message starts: `file:line: `, else `--flag: `, else nothing; a file given
 * by a flag is both (`--output report.json: `), and so is another value given by a flag (`--to 9.9.9: `). Built
 * only from the fields, so the location a person reads is the one lint, doctor and `--json` readers get.
 */
export function locationOf(fields: ErrorFields): string {
  if (fields.file !== undefined) {
    const at = `${fields.file}${fields.line === undefined ? "" : `:${fields.line}`}`;
    return fields.flag === undefined ? `${at}: ` : `${fields.flag} ${at}: `;
  }
  if (fields.flag !== undefined) return fields.value === undefined ? `${fields.flag}: ` : `${fields.flag} ${fields.value}: `;
  return "";
}

/**
 * A mistake the user can fix: a bad flag, answer, manifest or `.paved.yml`.
 * `reason` is what is wrong; `fields` where (file, line, flag) and what about; `hint` is the fix. `message`, the
 * one line a person reads, is the location built from the fields followed by the reason, so a raiser passes the
 * bare reason when it sets `file` or `flag`.
 */
export class UserError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  readonly code: UserErrorCode;
  readonly fields: ErrorFields;
  readonly reason: string;
  constructor(reason: string, options: { hint?: string; exitCode?: ExitCodeValue; code?: UserErrorCode; fields?: ErrorFields } = {}) {
    const fields = options.fields ?? {};
    super(locationOf(fields) + reason);
    this.name = "UserError";
    this.reason = reason;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.usage;
    this.code = options.code ?? "user";
    this.fields = fields;
  }
}

/** The job ran and found a problem (doctor errors, upgrade conflicts); the command already reported it. */
export class ProblemFound extends Error {
  readonly exitCode: ExitCodeValue;
  /** exitCode 2: several applications were run and one could not run; its error was already reported with the rest. */
  constructor(message = "problems found", exitCode: ExitCodeValue = ExitCode.problem) {
    super(message);
    this.exitCode = exitCode;
    this.name = "ProblemFound";
  }
}

/** The run was interrupted by a signal; cleanup already happened. */
export class Interrupted extends Error {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = "Interrupted";
    this.signal = signal;
  }
}

/**
 * A value the code before it guarantees (a key just listed from the same map, an array checked to be non-empty),
 * checked: undefined there is a bug in paved, and fails as one (exit 70, "paved hit a bug"), never as a
 * TypeError further on. It stands where a type cannot say the guarantee; where one can, the type says it.
 */
export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`bug: ${what} is missing`);
  return value;
}

export const REPORT_URL = "https://github.com/paved-dev/paved/issues/new";
