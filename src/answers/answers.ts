import { UserError } from "../errors.js";
import { compileTemplate } from "../render/handlebars.js";
import type { Question } from "../templates/manifest.js";
import { ExpressionError, evaluateCondition } from "./expression.js";

export type AnswerValue = string | number | boolean | Array<string | number> | null;
export type Answers = Record<string, AnswerValue>;

/** Where a provided answer came from, for error messages. */
export type AnswerOrigin = "--set" | "answers file" | "prompt" | "default" | "recorded";

export interface ProvidedAnswer {
  value: unknown;
  origin: AnswerOrigin;
}

/** Values available to defaults and templates besides the answers, as {{paved.*}}. */
export interface RenderMeta {
  template: string;
  version: string;
  /** The target folder's name ("" when none was given). */
  dirName: string;
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
}

export interface ResolvedAnswers {
  /** Every question's answer; a question whose `when` is false answers null. */
  answers: Answers;
  /** Names of questions that were asked or answered (their `when` held). */
  active: Set<string>;
}

function choiceValues(q: Question): Array<string | number> {
  return (q.choices ?? []).map((c) => (typeof c === "object" ? c.value : c));
}

function display(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
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
          ? raw.split(",").map((s) => s.trim()).filter(Boolean)
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
export function defaultFor(q: Question, answers: Answers, meta: RenderMeta, manifestFile: string): AnswerValue | undefined {
  if (q.default === undefined) return undefined;
  let raw: unknown = q.default;
  if (typeof raw === "string" && raw.includes("{{")) {
    try {
      raw = compileTemplate(raw)({ ...answers, paved: meta });
    } catch (error) {
      throw new UserError(`${manifestFile}: questions.${q.name}.default: ${(error as Error).message.split("\n")[0]}`, {
        hint: "a default may only use answers to earlier questions and {{paved.dirName}}",
      });
    }
    if (raw === "") return undefined;
  }
  try {
    return coerceAnswer(q, raw);
  } catch (error) {
    throw new UserError(`${manifestFile}: questions.${q.name}.default ${display(raw)} ${(error as Error).message}`, {
      hint: "the template's author must fix the default",
    });
  }
}

/**
 * Collect every answer: --set and the answers file first, then the prompt (on a terminal), then the default.
 * A required answer with nothing to go on is a UserError naming the flag; nothing is asked without a prompter.
 */
export async function resolveAnswers(input: ResolveAnswersInput): Promise<ResolvedAnswers> {
  const { questions, provided, meta, prompter, manifestFile } = input;
  const known = new Set(questions.map((q) => q.name));
  const unknown = [...provided.keys()].filter((k) => !known.has(k));
  if (unknown.length > 0) {
    const origin = provided.get(unknown[0]!)!.origin;
    throw new UserError(`${origin} ${unknown.map((k) => `"${k}"`).join(", ")}: the template has no such question`, {
      hint: `questions are: ${[...known].join(", ") || "(none)"}`,
    });
  }

  const answers: Answers = {};
  const active = new Set<string>();
  for (const q of questions) {
    let applies: boolean;
    try {
      applies = evaluateCondition(q.when, answers);
    } catch (error) {
      const detail = error instanceof ExpressionError ? error.message : String(error);
      throw new UserError(`${manifestFile}: questions.${q.name}.when: ${detail}`, {
        hint: "a `when` may only use answers to earlier questions",
      });
    }
    if (!applies) {
      answers[q.name] = null;
      continue;
    }
    active.add(q.name);
    const given = provided.get(q.name);
    let value: AnswerValue;
    if (given) {
      try {
        value = coerceAnswer(q, given.value);
      } catch (error) {
        throw invalidAnswer(q, given, (error as Error).message);
      }
      const verdict = validateAnswer(q, value);
      if (verdict !== true) throw invalidAnswer(q, given, verdict);
    } else {
      const fallback = defaultFor(q, answers, meta, manifestFile);
      if (prompter) {
        value = await prompter.ask(q, fallback, (v) => validateAnswer(q, v));
      } else if (fallback !== undefined) {
        value = fallback;
        const verdict = validateAnswer(q, value);
        if (verdict !== true) throw invalidAnswer(q, { value, origin: "default" }, verdict);
      } else if (q.required) {
        throw new UserError(`missing answer for "${q.name}" (${q.message}) and no terminal to ask on`, { hint: setHint(q) });
      } else {
        value = emptyAnswer(q);
      }
    }
    answers[q.name] = value;
  }
  return { answers, active };
}

function invalidAnswer(q: Question, given: ProvidedAnswer, problem: string): UserError {
  const shown = Array.isArray(given.value) ? given.value.join(",") : String(given.value);
  if (given.origin === "default") {
    return new UserError(`${q.name} ${display(given.value)} (the default): ${problem}`, { hint: setHint(q) });
  }
  const where = given.origin === "--set" ? `--set ${q.name}=${shown}` : `${given.origin} ${q.name}: ${display(given.value)}`;
  return new UserError(`\`${where}\`: ${problem}`, { hint: setHint(q) });
}

/** Answers fit to record in `.paved.yml`: secrets left out. */
export function recordableAnswers(questions: readonly Question[], answers: Answers): Answers {
  const out: Answers = {};
  for (const q of questions) {
    if (q.secret) continue;
    if (q.name in answers) out[q.name] = answers[q.name]!;
  }
  return out;
}
