import { isDeepStrictEqual } from "node:util";
import { defaultFor, resolveAnswers, type AnswerValue, type Answers } from "../answers/answers.js";
import type { AnswerSet, LintFinding } from "../authoring/lint.js";
import { renderTemplate } from "../render/render.js";
import type { TemplateVersion } from "../templates/source.js";
import type { FileTree } from "../tree.js";
import { inferAnswers, treeReader } from "./infer.js";

/**
 * `paved template lint`'s `infer/round-trip` warnings: every question's `infer:` rules, run over the template's own
 * render for each answer set (the defaults and each example), must find that set's answer (rules that each detect one
 * answer may find nothing where the default is the answer). A rule that misses, or finds something else, in a fresh render will miss in a real
 * repository too. Answer sets that do not
 * resolve or render are skipped here: lint reports them already.
 */
export async function inferWarnings(
  version: TemplateVersion,
  sets: readonly AnswerSet[],
  lineOf: (where: ReadonlyArray<string | number>) => number | undefined,
): Promise<LintFinding[]> {
  const questions = version.manifest.questions;
  if (!questions.some((q) => q.infer)) return [];
  const found = new Map<string, { finding: LintFinding; sets: string[] }>();
  for (const set of sets) {
    let answers: Answers;
    let tree: FileTree;
    try {
      answers = (await resolveAnswers({ questions, provided: set.provided, meta: set.meta, manifestFile: "template.yaml" })).answers;
      tree = renderTemplate(version, answers, set.meta).tree;
    } catch {
      continue;
    }
    const inference = inferAnswers(questions, treeReader(tree));
    for (const [index, q] of questions.entries()) {
      const expected = answers[q.name];
      if (!q.infer || expected === null || expected === undefined) continue;
      const inferred = inference.answers.get(q.name);
      if (inferred && isDeepStrictEqual(inferred.value, expected)) continue;
      // Rules that each detect one answer (`exists ... value: postgres`) may find nothing where the default is the
      // answer (`database: none`): `paved adopt` falls back to it. A rule that reads the answer must find it.
      const detectsOnly = q.infer.every((rule) => typeof rule === "object" && rule.value !== undefined);
      if (!inferred && detectsOnly && isDeepStrictEqual(defaultFor(q, answers, set.meta, "template.yaml"), expected)) continue;
      const shown = (value: AnswerValue) => (q.secret ? "***" : JSON.stringify(value));
      const why = inference.notes.find((n) => n.question === q.name);
      const message = inferred
        ? `questions.${q.name}.infer finds ${shown(inferred.value)} (by ${inferred.from}) in the render whose answer is ${shown(expected)}`
        : `questions.${q.name}.infer finds nothing in the render whose answer is ${shown(expected)}${why ? ` (${why.rule}: ${why.reason})` : ""}`;
      const line = lineOf(["questions", index, "infer"]);
      const existing = found.get(message);
      if (existing) existing.sets.push(set.name);
      else {
        found.set(message, {
          finding: {
            rule: "infer/round-trip",
            file: "template.yaml",
            ...(line ? { line } : {}),
            message,
            hint: "fix the rule (its file, path or regex group), or put first a rule that finds it: `paved adopt` tries them in order",
          },
          sets: [set.name],
        });
      }
    }
  }
  return [...found.values()].map(({ finding, sets: names }) => ({
    ...finding,
    message: `${finding.message} (rendering with ${names.join(", ")})`,
  }));
}
