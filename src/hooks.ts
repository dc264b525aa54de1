import { monotonicMs } from "./clock.js";
import { CommandSyntaxError, splitCommand } from "./command-words.js";
import { UserError, Interrupted } from "./errors.js";
import { interruptSignal, interruptedBy, trackChild } from "./fs/cleanup.js";
import { toShellWord } from "./render/escape.js";
import { type ManifestField, renderManifestText, renderShellCommand } from "./render/manifest-text.js";
import type { RawCommand } from "./templates/manifest.js";
import { escapeControlChars } from "./terminal-text.js";

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

/** Answers to render a command with; `where` names the command in errors (template.yaml, `hooks.postCreate[0]`). */
export interface CommandRendering {
  context: Record<string, unknown>;
  where: ManifestField;
}

/** A word as a shell would need it to mean the same single argument (for showing a command). */
function shownWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : toShellWord(word);
}

/**
 * A manifest command ready to run. With `rendering`, `{{answers}}` are filled in: in a plain command each
 * word is rendered on its own (an answer stays one argument); in a `shell: true` command each `{{...}}`
 * becomes a shell-quoted word, so no answer can add shell syntax.
 */
export function normalizeCommand(raw: RawCommand, rendering?: CommandRendering): HookCommand {
  const spec = typeof raw === "string" ? { run: raw } : raw;
  const shell = spec.shell ?? false;
  const timeoutMs = (spec.timeout ?? DEFAULT_TIMEOUT_MS / 1000) * 1000;
  const install = spec.install ?? false;
  if (shell) {
    const text = Array.isArray(spec.run) ? spec.run.join(" ") : spec.run;
    const rendered = rendering && text.includes("{{") ? renderShellCommand(text, rendering.context, rendering.where) : text;
    return { display: rendered, file: rendered, args: [], shell, timeoutMs, install };
  }
  let words: string[];
  try {
    words = Array.isArray(spec.run) ? spec.run : splitCommand(spec.run);
  } catch (error) {
    if (!(error instanceof CommandSyntaxError)) throw error;
    throw new UserError(`${rendering?.where.field ?? "a command"}: ${JSON.stringify(spec.run)}: ${error.message}`, {
      hint: "close the quote, or write the command as a list of words (run: [cmd, arg])",
      ...(rendering ? { fields: { file: rendering.where.file } } : {}),
    });
  }
  if (rendering) words = words.map((w) => (w.includes("{{") ? renderManifestText(w, rendering.context, rendering.where) : w));
  const display = typeof spec.run === "string" && !spec.run.includes("{{") ? spec.run : words.map(shownWord).join(" ");
  const [file, ...args] = words;
  // A command of only white space splits into no words: there is nothing to run.
  if (file === undefined) {
    throw new UserError(`${rendering?.where.field ?? "a command"}: ${JSON.stringify(spec.run)}: names no program to run`, {
      hint: "write the command to run, e.g. run: npm install",
      ...(rendering ? { fields: { file: rendering.where.file } } : {}),
    });
  }
  return { display, file, args, shell, timeoutMs, install };
}

/** A manifest's list of commands (`hooks.postCreate`), rendered with the answers; `where` names the list. */
export function renderCommands(raws: readonly RawCommand[], context: Record<string, unknown>, where: ManifestField): HookCommand[] {
  return raws.map((raw, i) => normalizeCommand(raw, { context, where: { file: where.file, field: `${where.field}[${i}]` } }));
}

/** A command as shown to a person: one line, control characters escaped (see terminal-text.ts). */
export function shownCommand(command: HookCommand): string {
  return escapeControlChars(command.display);
}

/**
 * Refuse commands from an untrusted source: list exactly what would run and how to allow it.
 */
export function assertTrusted(commands: readonly HookCommand[], trusted: boolean, what: string, sourceId: string): void {
  if (trusted || commands.length === 0) return;
  const list = commands.map((c) => `  ${shownCommand(c)}`).join("\n");
  throw new UserError(
    `${what} from ${sourceId} would run commands:\n${list}\nand templates from sources other than the built-in ones are not trusted`,
    {
      hint: "read the commands above; pass --trust to run them",
    },
  );
}

/** How one command ended: the report `paved template test --json` and `upgrade --verify` give per command. */
export interface StepReport {
  command: string;
  ok: boolean;
  exitCode: number | null;
  durationMs: number;
}

/** Why a command failed, and the last lines it printed (kept only when its output is captured). */
export interface StepFailure {
  why: string;
  timedOut: boolean;
  tail: string[];
}

export interface RunCommandOptions {
  /**
   * Where the command's output goes: `"stderr"` is paved's stderr as it comes (hooks); otherwise output is
   * captured, each line passed to `lines` if given, and the last `tailLines` kept for the failure.
   */
  output: "stderr" | { lines?: (line: string) => void; tailLines: number };
  env?: Record<string, string>;
}

/**
 * The one way paved runs a template's command (hooks, `test:` commands for verify and `template test`):
 * in `cwd`, with its timeout, never reading stdin, killed by Ctrl-C (which throws Interrupted).
 */
export async function runCommand(
  command: HookCommand,
  cwd: string,
  options: RunCommandOptions,
): Promise<{ step: StepReport; failure?: StepFailure }> {
  const { execa } = await import("execa");
  const started = monotonicMs();
  const captured = options.output === "stderr" ? undefined : options.output;
  const lines: string[] = [];
  try {
    const child = execa(command.file, command.args, {
      cwd,
      shell: command.shell,
      timeout: command.timeoutMs,
      cancelSignal: interruptSignal,
      stdin: "ignore",
      all: captured !== undefined,
      stdout: captured ? "pipe" : 2,
      stderr: captured ? "pipe" : 2,
      reject: false,
      ...(options.env ? { env: options.env } : {}),
    });
    if (captured) {
      child.all?.on("data", (chunk: Buffer) => {
        for (const line of chunk.toString("utf8").split("\n")) {
          if (line === "") continue;
          lines.push(line);
          if (lines.length > captured.tailLines * 4) lines.splice(0, lines.length - captured.tailLines);
          captured.lines?.(line);
        }
      });
    }
    const ran = await trackChild(child);
    if (interruptSignal.aborted) throw new Interrupted(interruptedBy() ?? "SIGINT");
    const step: StepReport = {
      command: command.display,
      ok: !ran.failed,
      exitCode: ran.exitCode ?? null,
      durationMs: Math.round(monotonicMs() - started),
    };
    if (step.ok) return { step };
    const why = ran.timedOut
      ? `did not finish within ${command.timeoutMs / 1000} s`
      : ran.exitCode !== undefined
        ? `exited with ${ran.exitCode}`
        : ran.code === "ENOENT"
          ? "was not found"
          : (ran.shortMessage ?? "failed");
    return { step, failure: { why, timedOut: ran.timedOut, tail: captured ? lines.slice(-captured.tailLines) : [] } };
  } catch (error) {
    if (interruptSignal.aborted) throw new Interrupted(interruptedBy() ?? "SIGINT");
    throw error;
  }
}

/**
 * Run hook commands one after another in `cwd`, output to stderr; a failure throws (exit 1), a signal
 * kills the running command.
 */
export async function runHooks(commands: readonly HookCommand[], cwd: string, log: (line: string) => void): Promise<void> {
  for (const command of commands) {
    log(`$ ${shownCommand(command)}`);
    const { failure } = await runCommand(command, cwd, { output: "stderr" });
    if (!failure) continue;
    if (failure.timedOut) {
      throw new UserError(`hook \`${shownCommand(command)}\` ${failure.why}`, {
        hint: "raise its `timeout` in template.yaml, or skip it (--no-install for installs)",
        exitCode: 1,
      });
    }
    throw new UserError(`hook \`${shownCommand(command)}\` ${failure.why}`, {
      hint: "see its output above; fix the cause, or skip installs with --no-install",
      exitCode: 1,
    });
  }
}
