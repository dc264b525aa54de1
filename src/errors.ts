/** Exit codes from the product contract. */
export const ExitCode = {
  ok: 0,
  problem: 1,
  usage: 2,
  internal: 70,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * A mistake the user can fix: a bad flag, answer, manifest or `.paved.yml`.
 * `message` is one sentence naming what is wrong; `hint` is the fix.
 */
export class UserError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  constructor(message: string, options: { hint?: string; exitCode?: ExitCodeValue } = {}) {
    super(message);
    this.name = "UserError";
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.usage;
  }
}

/** The job ran and found a problem (doctor errors, upgrade conflicts); the command already reported it. */
export class ProblemFound extends Error {
  readonly exitCode = ExitCode.problem;
  constructor(message = "problems found") {
    super(message);
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

export const REPORT_URL = "https://github.com/paved-dev/paved/issues/new";
