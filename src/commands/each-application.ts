import type { Application } from "../applications.js";
import { type ErrorFields, ExitCode, ProblemFound, UserError, type ExitCodeValue, type UserErrorCode } from "../errors.js";
import { Output } from "../output.js";

/** What one application's run came to, for the combined report. */
export interface ApplicationOutcome {
  path: string;
  exitCode: ExitCodeValue;
  /** What the run passed to `out.result` (its --json object). */
  result?: unknown;
  /** A refusal, with the same facts a one-service `--json` error carries. */
  error?: { message: string; hint?: string; code: UserErrorCode; fields: ErrorFields };
}

/** An Output whose --json result is kept for the combined report instead of printed. */
class CollectingOutput extends Output {
  collected: unknown;
  override result(value: unknown): void {
    this.collected = value;
  }
}

/** "packages/svc-a", or "." for the application at the repository root. */
export function shownPath(app: Pick<Application, "path">): string {
  return app.path || ".";
}

/**
 * Run `work` on each application, one after another, as if the command had been given each directory: a heading
 * per application (human), every result in one JSON object `{ ok, exitCode, applications: [{ path, exitCode,
 * ...result }] }` (--json). One that cannot run (exit 2) or finds a problem (exit 1) does not stop the others;
 * the command exits with the worst of them (2 over 1 over 0). A bug or an interrupt stops everything.
 */
export async function forEachApplication(
  applications: readonly Application[],
  out: Output,
  work: (app: Application, out: Output) => Promise<void>,
): Promise<ApplicationOutcome[]> {
  const outcomes: ApplicationOutcome[] = [];
  const count = applications.length;
  for (const [i, app] of applications.entries()) {
    const own = new CollectingOutput({ json: out.json, quiet: out.quiet, ...(out.c.level === 0 ? { color: false } : {}) });
    out.print(`${i === 0 ? "" : "\n"}${out.c.bold(`== ${shownPath(app)}`)} ${out.c.dim(`(${i + 1}/${count})`)}`);
    try {
      await work(app, own);
      outcomes.push({ path: app.path, exitCode: ExitCode.ok, result: own.collected });
    } catch (error) {
      if (error instanceof ProblemFound) {
        outcomes.push({ path: app.path, exitCode: error.exitCode, result: own.collected });
      } else if (error instanceof UserError) {
        if (!out.json) out.error(error.message, error.hint);
        outcomes.push({
          path: app.path,
          exitCode: error.exitCode,
          error: { message: error.message, ...(error.hint ? { hint: error.hint } : {}), code: error.code, fields: error.fields },
        });
      } else {
        throw error;
      }
    }
  }
  return outcomes;
}

/** The worst exit code of several runs: 2 (could not run) over 1 (found a problem) over 0. */
export function worstExitCode(outcomes: readonly ApplicationOutcome[]): ExitCodeValue {
  const codes = outcomes.map((o) => o.exitCode);
  if (codes.includes(ExitCode.usage)) return ExitCode.usage;
  if (codes.includes(ExitCode.problem)) return ExitCode.problem;
  return codes.find((c) => c !== ExitCode.ok) ?? ExitCode.ok;
}

/**
 * The end of a run over several applications: the combined --json object, a one-line tally for a person, and
 * the worst exit code (errors were already printed under their headings, so nothing more is said on the way out).
 * `problem` says what exit 1 meant for this command ("drifted", "need a person").
 */
export function finishApplications(outcomes: readonly ApplicationOutcome[], out: Output, what: string, problem = "with problems"): void {
  const exitCode = worstExitCode(outcomes);
  out.result({
    ok: exitCode === ExitCode.ok,
    exitCode,
    applications: outcomes.map((o) => ({
      path: o.path,
      exitCode: o.exitCode,
      ...(o.result !== null && typeof o.result === "object" ? (o.result as Record<string, unknown>) : {}),
      ...(o.error ? { ok: false, error: o.error } : {}),
    })),
  });
  const failed = (code: number) => outcomes.filter((o) => o.exitCode === code).map((o) => shownPath(o));
  const parts = [`${outcomes.filter((o) => o.exitCode === ExitCode.ok).length} ok`];
  if (failed(ExitCode.problem).length) parts.push(`${failed(ExitCode.problem).length} ${problem} (${failed(ExitCode.problem).join(", ")})`);
  if (failed(ExitCode.usage).length) parts.push(`${failed(ExitCode.usage).length} could not run (${failed(ExitCode.usage).join(", ")})`);
  out.print(`\n${what}: ${outcomes.length} application${outcomes.length === 1 ? "" : "s"}, ${parts.join(", ")}`);
  if (exitCode !== ExitCode.ok) throw new ProblemFound(`${what}: ${parts.join(", ")}`, exitCode);
}
