import type { CliRenderMeta, DefaultOrigin } from "../config.js";
import { UserError } from "../errors.js";
import { compileTemplate } from "../render/handlebars.js";
import type { Question } from "../templates/manifest.js";
import { ExpressionError, evaluateCondition } from "./expression.js";
import type { AnswerValue } from "./value.js";

export type { AnswerValue };
export type Answers = Record<string, AnswerValue>;

/** Where a provided answer came from, for error messages. */
export type AnswerOrigin = "--set" | "answers file" | "prompt" | "default" | "recorded" | "inferred";

export interface ProvidedAnswer {
  value: unknown;
  origin: AnswerOrigin;
}

/** Values available to defaults and templates besides the answers, as {{paved.*}} (`paved.cli*`: see src/config.ts). */
export interface RenderMeta extends CliRenderMeta {
  template: string;
  version: string;
  /** The target folder's name ("" when none was given). */
  dirName: string;
  /**
   * The service's folder relative to its git repository's root, POSIX separators: "" at the root, in a new
   * repository and when unknown (docs/monorepo.md).
   */
  path?: string;
  /** The way back from the service's folder to the repository root ("../.."; "." at the root). */
  root?: string;
}

/** `{{paved}}` as templates see it: every key present, so `{{paved.path}}` renders "" at a repository root. */
export function pavedScope(meta: RenderMeta): Required<RenderMeta> {
  const at = meta.path ?? "";
  return {
    ...meta,
    path: at,
    root:
      meta.root ??
      (at === ""
        ? "."
        : at
            .split("/")
            .map(() => "..")
            .join("/")),
  };
}

export interface Prompter {
  ask(question: Question, defaultValue: AnswerValue | undefined, validate: (value: AnswerValue) => string | true): Promise<AnswerValue>;
}

export interface ResolveAnswersInput {
  questions: readonly Question[];
  provided: ReadonlyMap<string, ProvidedAnswer>;
  meta: RenderMeta;
  /** Ask on a terminal; when absent, never wait for input. */
  prompter?: Prompter;
  /** The file the questions come from, for messages. */
  manifestFile: string;
  /**
   * The answers come from a service's `.paved.yml` (upgrade, diff, doctor): a secret nobody provided is
   * unknown (it was never recorded), not its default and not empty; files that read it are not rendered.
   * With a prompter the person is asked instead.
   */
  fromRecord?: boolean;
  /** Questions whose default comes from a config file's `defaults`: where, for messages (`<file>: defaults.service.repository`). */
  defaultOrigins?: ReadonlyMap<string, DefaultOrigin>;
}

export interface ResolvedAnswers {
  /** Every question's answer; a question whose `when` is false answers null. */
  answers: Answers;
  /** Names of questions that were asked or answered (their `when` held). */
  active: Set<string>;
  /** Secret questions whose answer is not known (see `fromRecord`); they answer null in `answers`. */
  unknown: Set<string>;
}

/** A render read an answer nobody knows (a secret not recorded): the file it was rendering is skipped. */
export class UnknownAnswerRead extends Error {
  constructor(readonly answer: string) {
    super(`the answer to "${answer}" is not known`);
    this.name = "UnknownAnswerRead";
  }
}

/**
 * `values` with every unknown answer turned into a property that throws UnknownAnswerRead when read, so a
 * template that looks at it in any way (a name, a condition, a helper, `{{#each this}}`) is noticed.
 */
export function withUnknownAnswers<T extends Record<string, unknown>>(values: T, unknown: ReadonlySet<string>): T {
  if (unknown.size === 0) return values;
  const out = { ...values };
  for (const name of unknown) {
    Object.defineProperty(out, name, {
      enumerable: true,
      configurable: false,
      get() {
        throw new UnknownAnswerRead(name);
      },
    });
  }
  return out;
}

/** `.paved.yml`'s recorded answers as provided answers for the questions a version asks (nulls left out). */
export function recordedProvided(questions: readonly Question[], recorded: Answers): Map<string, ProvidedAnswer> {
  const names = new Set(questions.map((q) => q.name));
  const provided = new Map<string, ProvidedAnswer>();
  for (const [name, value] of Object.entries(recorded)) {
    if (names.has(name) && value !== null) provided.set(name, { value, origin: "recorded" });
  }
  return provided;
}

function choiceValues(q: Question): Array<string | number> {
  return (q.choices ?? []).map((c) => (typeof c === "object" ? c.value : c));
}

function display(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

/** Turn a value from --set (always text) or an answers file into the question's type. Throws a plain message. */
export function coerceAnswer(q: Question, raw: unknown): AnswerValue {
  switch (q.type) {
    case "input":
      if (typeof raw === "string") return raw;
      if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
      throw new Error("must be text");
    case "confirm": {
      if (typeof raw === "boolean") return raw;
      const t = String(raw).trim().toLowerCase();
      if (["true", "yes", "y", "1", "on"].includes(t)) return true;
      if (["false", "no", "n", "0", "off"].includes(t)) return false;
      throw new Error("must be true or false");
    }
    case "number": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : Number.NaN;
      if (!Number.isFinite(n)) throw new Error("must be a number");
      return n;
    }
    case "select": {
      const match = choiceValues(q).find((v) => String(v) === String(raw));
      if (match === undefined || (typeof raw !== "string" && typeof raw !== "number")) {
        throw new Error(`must be one of: ${choiceValues(q).join(", ")}`);
      }
      return match;
    }
    case "multiselect": {
      const items = Array.isArray(raw)
        ? raw
        : typeof raw === "string"
          ? raw
              .split(",")
              .map((s) => s.trim())
              .filter(Boolean)
          : null;
      if (!items) throw new Error("must be a list (comma-separated with --set)");
      const values = choiceValues(q);
      return items.map((item) => {
        const match = values.find((v) => String(v) === String(item));
        if (match === undefined) throw new Error(`${display(item)} is not one of: ${values.join(", ")}`);
        return match;
      });
    }
  }
}

/** Check a typed answer against required/pattern/min/max. Returns an error message or true. */
export function validateAnswer(q: Question, value: AnswerValue): string | true {
  if (q.type === "input") {
    const text = String(value ?? "");
    if (q.required && text.trim() === "") return "is required";
    if (q.pattern && text !== "" && !new RegExp(q.pattern, "u").test(text)) {
      return q.patternHint ?? `must match ${q.pattern}`;
    }
  }
  if (q.type === "number" && typeof value === "number") {
    if (q.min !== undefined && value < q.min) return `must be at least ${q.min}`;
    if (q.max !== undefined && value > q.max) return `must be at most ${q.max}`;
  }
  if (q.type === "multiselect" && q.required && Array.isArray(value) && value.length === 0) return "needs at least one choice";
  return true;
}

function exampleFor(q: Question): string {
  if (q.type === "select" || q.type === "multiselect") return String(choiceValues(q)[0] ?? "...");
  if (q.type === "confirm") return "true";
  if (q.type === "number") return String(q.min ?? 1);
  return "...";
}

export function setHint(q: Question): string {
  return `pass --set ${q.name}=${exampleFor(q)}${q.patternHint ? ` (${q.patternHint})` : ""}`;
}

function emptyAnswer(q: Question): AnswerValue {
  if (q.type === "confirm") return false;
  if (q.type === "multiselect") return [];
  if (q.type === "number") return null;
  return "";
}

/** A question's default with earlier answers filled in; undefined when there is none (or it renders empty). */
export function defaultFor(
  q: Question,
  answers: Answers,
  meta: RenderMeta,
  manifestFile: string,
  configuredAt?: DefaultOrigin,
): AnswerValue | undefined {
  if (q.default === undefined) return undefined;
  const { file, field } = configuredAt ?? { file: manifestFile, field: `questions.${q.name}.default` };
  const fields = { file, variable: q.name };
  const fix = configuredAt ? `fix it in ${configuredAt.file}` : "the template's author must fix the default";
  let raw: unknown = q.default;
  if (typeof raw === "string" && raw.includes("{{")) {
    try {
      raw = compileTemplate(raw)({ ...answers, paved: pavedScope(meta) });
    } catch (error) {
      throw new UserError(`${field}: ${(error as Error).message.split("\n")[0]}`, {
        hint: `a default may only use answers to earlier questions and {{paved.dirName}}; ${fix}`,
        fields,
      });
    }
    if (raw === "") return undefined;
  }
  try {
    return coerceAnswer(q, raw);
  } catch (error) {
    throw new UserError(`${field} ${display(raw)} ${(error as Error).message}`, { hint: fix, fields });
  }
}

/**
 * Collect every answer: --set and the answers file first, then the prompt (on a terminal), then the default.
 * A required answer with nothing to go on is a UserError naming the flag; nothing is asked without a prompter.
 */
export async function resolveAnswers(input: ResolveAnswersInput): Promise<ResolvedAnswers> {
  const { questions, provided, meta, prompter, manifestFile, fromRecord = false, defaultOrigins } = input;
  const known = new Set(questions.map((q) => q.name));
  const unknown = [...provided].filter(([k]) => !known.has(k));
  const [first] = unknown;
  if (first) {
    throw new UserError(`${first[1].origin} ${unknown.map(([k]) => `"${k}"`).join(", ")}: the template has no such question`, {
      hint: `questions are: ${[...known].join(", ") || "(none)"}`,
    });
  }

  const answers: Answers = {};
  const active = new Set<string>();
  const unknownAnswers = new Set<string>();
  for (const q of questions) {
    let applies: boolean;
    try {
      applies = evaluateCondition(q.when, answers);
    } catch (error) {
      const detail = error instanceof ExpressionError ? error.message : String(error);
      throw new UserError(`questions.${q.name}.when: ${detail}`, {
        hint: "a `when` may only use answers to earlier questions",
        fields: { file: manifestFile, variable: q.name },
      });
    }
    if (!applies) {
      answers[q.name] = null;
      continue;
    }
    active.add(q.name);
    const given = provided.get(q.name);
    let value: AnswerValue;
    if (!given && q.secret && fromRecord && !prompter) {
      unknownAnswers.add(q.name);
      answers[q.name] = null;
      continue;
    }
    if (given) {
      try {
        value = coerceAnswer(q, given.value);
      } catch (error) {
        throw invalidAnswer(q, given, (error as Error).message);
      }
      const verdict = validateAnswer(q, value);
      if (verdict !== true) throw invalidAnswer(q, given, verdict);
    } else {
      const configuredAt = defaultOrigins?.get(q.name);
      const fallback = defaultFor(q, answers, meta, manifestFile, configuredAt);
      if (prompter) {
        value = await prompter.ask(q, fallback, (v) => validateAnswer(q, v));
      } else if (fallback !== undefined) {
        value = fallback;
        const verdict = validateAnswer(q, value);
        if (verdict !== true && configuredAt)
          throw new UserError(`${configuredAt.field}: ${display(value)} for ${q.name}: ${verdict}`, {
            hint: `fix it there, or ${setHint(q)}`,
            code: "invalid-answer",
            fields: { file: configuredAt.file, variable: q.name },
          });
        if (verdict !== true) throw invalidAnswer(q, { value, origin: "default" }, verdict);
      } else if (q.required) {
        throw new UserError(`missing answer for "${q.name}" (${q.message}) and no terminal to ask on`, {
          hint: setHint(q),
          code: "missing-answer",
          fields: { variable: q.name },
        });
      } else {
        value = emptyAnswer(q);
      }
    }
    answers[q.name] = value;
  }
  return { answers, active, unknown: unknownAnswers };
}

/** What a message may show of a secret answer: nothing. */
const HIDDEN = "***";

function invalidAnswer(q: Question, given: ProvidedAnswer, rawProblem: string): UserError {
  // A problem may quote the value (`"x" is not one of ...`): never a secret's.
  const values = (Array.isArray(given.value) ? given.value : [given.value]).map(String).filter((v) => v.length > 0);
  const problem = q.secret
    ? values.reduce((text, v) => text.split(JSON.stringify(v)).join(HIDDEN).split(v).join(HIDDEN), rawProblem)
    : rawProblem;
  const shown = q.secret ? HIDDEN : Array.isArray(given.value) ? given.value.join(",") : String(given.value);
  const displayed = q.secret ? HIDDEN : display(given.value);
  if (given.origin === "default") {
    return new UserError(`${q.name} ${displayed} (the default): ${problem}`, {
      hint: setHint(q),
      code: "invalid-answer",
      fields: { variable: q.name },
    });
  }
  if (given.origin === "recorded") {
    // A `.paved.yml` answer is checked like a typed one before anything renders with it (it is repository data).
    return new UserError(`answers.${q.name} ${displayed}: ${problem}`, {
      hint: `correct it with \`paved upgrade --set ${q.name}=${exampleFor(q)}\`${q.patternHint ? ` (${q.patternHint})` : ""}, or fix answers.${q.name} in .paved.yml`,
      code: "invalid-answer",
      fields: { variable: q.name, file: ".paved.yml" },
    });
  }
  const where = given.origin === "--set" ? `--set ${q.name}=${shown}` : `${given.origin} ${q.name}: ${displayed}`;
  return new UserError(`\`${where}\`: ${problem}`, { hint: setHint(q), code: "invalid-answer", fields: { variable: q.name } });
}

/** Answers fit to record in `.paved.yml`: secrets left out. */
export function recordableAnswers(questions: readonly Question[], answers: Answers): Answers {
  const out: Answers = {};
  for (const q of questions) {
    if (q.secret) continue;
    const value = answers[q.name];
    if (value !== undefined) out[q.name] = value;
  }
  return out;
}
