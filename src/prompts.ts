import type { AnswerValue, Prompter } from "./answers/answers.js";
import { Interrupted } from "./errors.js";
import { requireDependency } from "./package-root.js";
import type { Question } from "./templates/manifest.js";

/** Prompts only where a person can answer: stdin is a terminal and --yes was not given. */
export function canPrompt(yes: boolean | undefined): boolean {
  return !yes && process.stdin.isTTY === true;
}

function choicesOf(q: Question): Array<{ value: string | number; name: string; description?: string }> {
  return (q.choices ?? []).map((c) =>
    typeof c === "object"
      ? { value: c.value, name: c.name ?? String(c.value), ...(c.description ? { description: c.description } : {}) }
      : { value: c, name: String(c) },
  );
}

/** @inquirer/prompts on stderr (stdout stays for results); loaded only when a prompt is really shown. */
export function terminalPrompter(): Prompter {
  return {
    async ask(q, defaultValue, validate) {
      // Required from node_modules, not bundled (scripts/build.mjs): with its editor prompt it is 40% of paved's code.
      const inquirer = requireDependency<typeof import("@inquirer/prompts")>("@inquirer/prompts");
      const context = { output: process.stderr, clearPromptOnDone: false };
      const message = q.message;
      const check = (v: AnswerValue) => validate(v);
      try {
        switch (q.type) {
          case "input":
            if (q.secret) {
              return await inquirer.password({ message, mask: "*", validate: (v) => check(v) }, context);
            }
            return await inquirer.input(
              { message, ...(defaultValue != null ? { default: String(defaultValue) } : {}), validate: (v) => check(v) },
              context,
            );
          case "confirm":
            return await inquirer.confirm({ message, default: defaultValue === undefined ? undefined : Boolean(defaultValue) }, context);
          case "number": {
            const value = await inquirer.number(
              {
                message,
                ...(typeof defaultValue === "number" ? { default: defaultValue } : {}),
                ...(q.min !== undefined ? { min: q.min } : {}),
                ...(q.max !== undefined ? { max: q.max } : {}),
                required: q.required ?? false,
                validate: (v) => check(v ?? null),
              },
              context,
            );
            return value ?? null;
          }
          case "select":
            return await inquirer.select(
              { message, choices: choicesOf(q), ...(defaultValue != null ? { default: defaultValue } : {}) },
              context,
            );
          case "multiselect": {
            const chosen = new Set(Array.isArray(defaultValue) ? defaultValue.map(String) : []);
            return await inquirer.checkbox(
              {
                message,
                choices: choicesOf(q).map((c) => ({ ...c, checked: chosen.has(String(c.value)) })),
                validate: (items) => check(items.map((i) => i.value)),
              },
              context,
            );
          }
        }
      } catch (error) {
        if (error instanceof Error && error.name === "ExitPromptError") throw new Interrupted("SIGINT");
        throw error;
      }
    },
  };
}
