import { Interrupted } from "../errors.js";
import { interruptSignal, interruptedBy, trackChild } from "../fs/cleanup.js";
import type { HookCommand } from "../hooks.js";

export interface VerifyResult {
  ok: boolean;
  /** Each command run, in order, with how it ended; verification stops at the first failure. */
  commands: Array<{ command: string; ok: boolean; exitCode: number | null; durationMs: number }>;
  /** The failing command and the last lines it printed. */
  failure?: { command: string; why: string; tail: string[] };
}

const TAIL_LINES = 30;

/**
 * Run the template's `test:` commands in the upgraded service, one after another, output to `log` as it
 * comes; stop at the first that fails and keep the end of its output for the report.
 */
export async function verifyService(commands: readonly HookCommand[], cwd: string, log: (line: string) => void): Promise<VerifyResult> {
  const { execa } = await import("execa");
  const result: VerifyResult = { ok: true, commands: [] };
  for (const command of commands) {
    log(`$ ${command.display}`);
    const started = performance.now();
    const lines: string[] = [];
    const child = execa(command.file, command.args, {
      cwd,
      shell: command.shell,
      timeout: command.timeoutMs,
      cancelSignal: interruptSignal,
      stdin: "ignore",
      all: true,
      reject: false,
      env: { CI: "true" },
    });
    child.all?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line === "") continue;
        lines.push(line);
        if (lines.length > TAIL_LINES * 4) lines.splice(0, lines.length - TAIL_LINES);
        log(line);
      }
    });
    const ran = await trackChild(child);
    if (interruptSignal.aborted) throw new Interrupted(interruptedBy() ?? "SIGINT");
    const ok = !ran.failed;
    result.commands.push({ command: command.display, ok, exitCode: ran.exitCode ?? null, durationMs: Math.round(performance.now() - started) });
    if (!ok) {
      const why = ran.timedOut
        ? `did not finish within ${command.timeoutMs / 1000} s`
        : ran.exitCode !== undefined
          ? `exited with ${ran.exitCode}`
          : ran.code === "ENOENT"
            ? "was not found"
            : (ran.shortMessage ?? "failed");
      result.ok = false;
      result.failure = { command: command.display, why, tail: lines.slice(-TAIL_LINES) };
      break;
    }
  }
  return result;
}
