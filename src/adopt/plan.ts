import { recordableAnswers, resolveAnswers, type Answers, type Prompter, type ProvidedAnswer } from "../answers/answers.js";
import { findDrift, type DriftedFile } from "../upgrade/drift.js";
import { defined, UserError } from "../errors.js";
import { renderTemplate } from "../render/render.js";
import { SERVICE_FILE } from "../service-file.js";
import type { InferRule } from "../templates/manifest.js";
import { versionFile, type TemplateVersion } from "../templates/source.js";
import type { FileTree } from "../tree.js";
import { inferAnswers, type Inference, type RepoReader } from "./infer.js";
import { closeness, closest, type Closeness } from "./score.js";
import { cliRenderMeta } from "../config.js";

export interface AdoptionInput {
  template: string;
  /** The versions to consider, oldest first; the last is the one prompts and --set are checked against. */
  versions: readonly TemplateVersion[];
  /** The template's latest version: its infer rules stand in for questions an older version has without rules. */
  latest: TemplateVersion;
  /** --set and --answers-file (they win over what is inferred). */
  provided: ReadonlyMap<string, ProvidedAnswer>;
  /** Asks for what is neither given nor inferred, only where a person can answer. */
  prompter?: Prompter;
  /** The repository as infer rules may read it. */
  files: RepoReader;
  /** The repository's files as `paved diff` reads them. */
  ours: FileTree;
  dirName: string;
}

export interface ScoredCandidate {
  version: TemplateVersion;
  answers: Answers;
  inference: Inference;
  rendered: FileTree;
  drift: DriftedFile[];
  closeness: Closeness;
}

export interface SkippedCandidate {
  version: TemplateVersion;
  /** Why it cannot be adopted with these answers (a required answer missing, an answer it refuses, a render error). */
  reason: string;
}

export interface AdoptionPlan {
  candidates: Array<ScoredCandidate | SkippedCandidate>;
  chosen: ScoredCandidate;
  /** What `.paved.yml` records: the chosen version's answers without secrets. */
  recorded: Answers;
  /** Rendered files the repository lacks (what `--apply` would create), sorted. */
  missing: string[];
}

function manifestFileOf(version: TemplateVersion): string {
  return versionFile(version, "template.yaml");
}

/** A prompter that remembers what the person answered, so every candidate version is scored with the same answers. */
function recording(prompter: Prompter, answered: Map<string, ProvidedAnswer>): Prompter {
  return {
    async ask(question, defaultValue, validate) {
      const value = await prompter.ask(question, defaultValue, validate);
      answered.set(question.name, { value, origin: "prompt" });
      return value;
    },
  };
}

/** Inferred answers, then prompted ones, then --set: each later source wins; only names the version asks. */
function providedFor(
  version: TemplateVersion,
  inference: Inference,
  layers: ReadonlyArray<ReadonlyMap<string, ProvidedAnswer>>,
  allNames: boolean,
): Map<string, ProvidedAnswer> {
  const names = new Set(version.manifest.questions.map((q) => q.name));
  const provided = new Map<string, ProvidedAnswer>();
  for (const [name, inferred] of inference.answers) provided.set(name, { value: inferred.value, origin: "inferred" });
  for (const layer of layers) for (const [name, answer] of layer) if (allNames || names.has(name)) provided.set(name, answer);
  return provided;
}

async function score(
  input: AdoptionInput,
  version: TemplateVersion,
  layers: ReadonlyArray<ReadonlyMap<string, ProvidedAnswer>>,
  newest: boolean,
  prompter?: Prompter,
): Promise<ScoredCandidate> {
  const latestRules = new Map(input.latest.manifest.questions.map((q) => [q.name, q.infer] as const));
  const inference = inferAnswers(version.manifest.questions, input.files, (name): readonly InferRule[] | undefined =>
    latestRules.get(name),
  );
  const meta = { template: input.template, version: version.manifest.version, dirName: input.dirName, ...cliRenderMeta() };
  // As upgrade renders its base: a secret nobody gave is unknown and the files that read it are left out.
  const { answers, unknown } = await resolveAnswers({
    questions: version.manifest.questions,
    // The newest candidate takes every given answer, so a name no question has is refused there.
    provided: providedFor(version, inference, layers, newest),
    meta,
    manifestFile: manifestFileOf(version),
    fromRecord: true,
    ...(prompter ? { prompter } : {}),
  });
  const rendered = renderTemplate(version, answers, meta, unknown).tree;
  const drift = findDrift(rendered, input.ours);
  return { version, answers, inference, rendered, drift, closeness: closeness(rendered, drift) };
}

/**
 * Which version of the template a repository is closest to, and with which answers. The answers are settled on the
 * newest candidate first (the one --set, --answers-file and prompts are checked against: a mistake there, or a
 * required answer nobody gave, is the user's to fix). Every other candidate is then rendered with its own inferred
 * answers and defaults plus the same given and prompted answers; one that cannot take them is skipped, with why.
 */
export async function planAdoption(input: AdoptionInput): Promise<AdoptionPlan> {
  const prompted = new Map<string, ProvidedAnswer>();
  const newest = defined(input.versions.at(-1), "the newest version to adopt");
  const layers = [prompted, input.provided];
  const first = await score(input, newest, [input.provided], true, input.prompter ? recording(input.prompter, prompted) : undefined);
  const candidates: Array<ScoredCandidate | SkippedCandidate> = [];
  for (const version of input.versions.slice(0, -1)) {
    try {
      candidates.push(await score(input, version, layers, false));
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      candidates.push({ version, reason: error.message });
    }
  }
  candidates.push(first);
  const chosen = defined(
    closest(candidates.filter((c): c is ScoredCandidate => "closeness" in c)),
    "the closest candidate (the newest is always scored)",
  );
  const missing = [...chosen.rendered.keys()].filter((p) => p !== SERVICE_FILE && !input.ours.has(p)).sort();
  return { candidates, chosen, recorded: recordableAnswers(chosen.version.manifest.questions, chosen.answers), missing };
}
