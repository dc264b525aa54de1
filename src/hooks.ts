import { UserError, Interrupted } from "./errors.js";
import { interruptSignal, interruptedBy, trackChild } from "./fs/cleanup.js";
import type { RawCommand } from "./templates/manifest.js";

export interface HookCommand {
  /** As written in the manifest, for messages. */
  display: string;
  file: string;
  args: string[];
  shell: boolean;
  timeoutMs: number;
  install: boolean;
}

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

/** Split "npm install --no-audit 'a b'" into words, honouring quotes; no shell expansion. */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let current = "";
  let quote: '"' | "'" | null = null;
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < command.length) current += command[++i];
      else current += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
    } else {
      if (ch === "\\" && i + 1 < command.length) current += command[++i];
      else current += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote`);
  if (inWord) words.push(current);
  return words;
}

export function normalizeCommand(raw: RawCommand): HookCommand {
  const spec = typeof raw === "string" ? { run: raw } : raw;
  const shell = spec.shell ?? false;
  const display = Array.isArray(spec.run) ? spec.run.join(" ") : spec.run;
  const timeoutMs = (spec.timeout ?? DEFAULT_TIMEOUT_MS / 1000) * 1000;
  const install = spec.install ?? false;
  if (shell) {
    return { display, file: Array.isArray(spec.run) ? spec.run.join(" ") : spec.run, args: [], shell, timeoutMs, install };
  }
  const words = Array.isArray(spec.run) ? spec.run : splitCommand(spec.run);
  return { display, file: words[0]!, args: words.slice(1), shell, timeoutMs, install };
}

/**
 * Refuse commands from an untrusted source: list exactly what would run and how to allow it.
 */
export function assertTrusted(commands: readonly HookCommand[], trusted: boolean, what: string, sourceId: string): void {
  if (trusted || commands.length === 0) return;
  const list = commands.map((c) => `  ${c.display}`).join("\n");
  throw new UserError(`${what} from ${sourceId} would run commands:\n${list}\nand templates from sources other than the built-in ones are not trusted`, {
    hint: "read the commands above; pass --trust to run them",
  });
}

/**
 * Run hook commands one after another in `cwd`, output to stderr; a failure throws (exit 1), a signal
 * kills the running command.
 */
export async function runHooks(commands: readonly HookCommand[], cwd: string, log: (line: string) => void): Promise<void> {
  const { execa } = await import("execa");
  for (const command of commands) {
    log(`$ ${command.display}`);
    try {
      const result = await trackChild(execa(command.file, command.args, {
        cwd,
        shell: command.shell,
        timeout: command.timeoutMs,
        cancelSignal: interruptSignal,
        stdin: "ignore",
        stdout: 2,
        stderr: 2,
        reject: false,
      }));
      if (interruptSignal.aborted) throw new Interrupted(interruptedBy() ?? "SIGINT");
      if (result.timedOut) {
        throw new UserError(`hook \`${command.display}\` did not finish within ${command.timeoutMs / 1000} s`, {
          hint: "raise its `timeout` in template.yaml, or skip it (--no-install for installs)",
          exitCode: 1,
        });
      }
      if (result.failed) {
        const why = result.exitCode !== undefined ? `exited with ${result.exitCode}` : result.code === "ENOENT" ? "was not found" : (result.shortMessage ?? "failed");
        throw new UserError(`hook \`${command.display}\` ${why}`, {
          hint: "see its output above; fix the cause, or skip installs with --no-install",
          exitCode: 1,
        });
      }
    } catch (error) {
      if (interruptSignal.aborted) throw new Interrupted(interruptedBy() ?? "SIGINT");
      throw error;
    }
  }
}
