import { runCommand, type HookCommand, type StepReport } from "../hooks.js";

export interface VerifyResult {
  ok: boolean;
  /** Each command run, in order, with how it ended; verification stops at the first failure. */
  commands: StepReport[];
  /** The failing command and the last lines it printed. */
  failure?: { command: string; why: string; tail: string[] };
}

const TAIL_LINES = 30;

/**
 * Run the template's `test:` commands in the upgraded service, one after another, output to `log` as it
 * comes; stop at the first that fails and keep the end of its output for the report.
 */
export async function verifyService(commands: readonly HookCommand[], cwd: string, log: (line: string) => void): Promise<VerifyResult> {
  const result: VerifyResult = { ok: true, commands: [] };
  for (const command of commands) {
    log(`$ ${command.display}`);
    const { step, failure } = await runCommand(command, cwd, { output: { lines: log, tailLines: TAIL_LINES }, env: { CI: "true" } });
    result.commands.push(step);
    if (failure) {
      result.ok = false;
      result.failure = { command: command.display, why: failure.why, tail: failure.tail };
      break;
    }
  }
  return result;
}
