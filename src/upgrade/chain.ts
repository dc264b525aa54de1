import semver from "semver";
import { resolveAnswers, type Answers, type Prompter, type ProvidedAnswer } from "../answers/answers.js";
import { cliRenderMeta, effectiveConfig, withConfiguredDefaults } from "../config.js";
import type { ServiceFile } from "../service-file.js";
import { type TemplateSource, type TemplateVersion, versionFile } from "../templates/source.js";
import type { VersionAnswers } from "./steps.js";

/** The version's template.yaml as messages name it. */
export function manifestFileOf(version: TemplateVersion): string {
  return versionFile(version, "template.yaml");
}

/** Recorded (or carried) answers this version knows, plus --set; --set wins. */
function providedFor(
  version: TemplateVersion,
  carried: Answers,
  sets: ReadonlyMap<string, ProvidedAnswer>,
  allSets: boolean,
): Map<string, ProvidedAnswer> {
  const names = new Set(version.manifest.questions.map((q) => q.name));
  const provided = new Map<string, ProvidedAnswer>();
  for (const [name, value] of Object.entries(carried)) {
    if (names.has(name) && value !== null) provided.set(name, { value, origin: "recorded" });
  }
  for (const [name, answer] of sets) if (allSets || names.has(name)) provided.set(name, answer);
  return provided;
}

/** The versions after `from` up to and including `to` (pre-releases only when they are the target). */
export function versionsBetween(all: readonly string[], from: string, to: string): string[] {
  return all.filter((v) => semver.gt(v, from) && semver.lte(v, to) && (semver.prerelease(v) === null || v === to));
}

/**
 * The versions an upgrade steps through, each with the answers it renders with: the recorded version first, the
 * target last (the recorded version twice when only answers change).
 */
export type UpgradeChain = [VersionAnswers, ...VersionAnswers[]];

/** The chain's last version: the target, with its answers. */
export function targetOf(chain: UpgradeChain): VersionAnswers {
  return chain.at(-1) ?? chain[0];
}

/** Each version an upgrade steps through, from the recorded one to `to`, with the answers each renders with. */
export async function resolvePath(
  source: TemplateSource,
  all: readonly string[],
  service: ServiceFile,
  to: string,
  sets: ReadonlyMap<string, ProvidedAnswer>,
  dirName: string,
  prompter: Prompter | undefined,
): Promise<UpgradeChain> {
  const load = (v: string) => source.loadVersion(service.template, v);
  // After the recorded version: each one up to the target, or the recorded one again when only answers change.
  const [first, later] = await Promise.all([
    load(service.version),
    Promise.all((service.version === to ? [to] : versionsBetween(all, service.version, to)).map(load)),
  ]);
  // The base renders exactly what the team got: recorded answers, defaults for anything unrecorded, no prompt.
  const baseAnswers = await resolveAnswers({
    questions: first.manifest.questions,
    provided: providedFor(first, service.answers, new Map(), false),
    meta: { template: service.template, version: service.version, dirName, ...cliRenderMeta() },
    manifestFile: manifestFileOf(first),
    fromRecord: true,
  });
  const chain: UpgradeChain = [{ version: first, answers: baseAnswers.answers, unknown: baseAnswers.unknown }];
  let carried = baseAnswers.answers;
  // A question a later version adds takes the org's default (config `defaults`) like `paved new` would.
  const config = effectiveConfig();
  for (const [k, version] of later.entries()) {
    const last = k === later.length - 1;
    const configured = withConfiguredDefaults(service.template, version.manifest.questions, config);
    const { answers, unknown } = await resolveAnswers({
      questions: configured.questions,
      defaultOrigins: configured.origins,
      provided: providedFor(version, carried, sets, last),
      meta: { template: service.template, version: version.manifest.version, dirName, ...cliRenderMeta() },
      manifestFile: manifestFileOf(version),
      fromRecord: true,
      ...(prompter ? { prompter } : {}),
    });
    chain.push({ version, answers, unknown });
    carried = { ...carried, ...answers };
  }
  return chain;
}
