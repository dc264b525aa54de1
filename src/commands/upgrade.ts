import { z } from "zod";
import { selectApplications } from "../applications.js";
import { UserError } from "../errors.js";
import { withRepositoryLock } from "../fs/lock.js";
import { upgradeOnlyReads, upgradeService, type UpgradeDependencies } from "../upgrade/run.js";
import { finishApplications, forEachApplication, shownPath } from "./each-application.js";
import { answerOptionsSchema, commonOptionsSchema, flagValue, parseCommandOptions, sourceOptionSchema } from "./options.js";

export const upgradeOptionsSchema = commonOptionsSchema
  .extend(answerOptionsSchema.shape)
  .extend(sourceOptionSchema.shape)
  .extend({
    to: flagValue.optional(),
    dryRun: z.boolean().default(false),
    allowDirty: z.boolean().default(false),
    conflict: z.enum(["inline", "rej"]).default("inline"),
    commit: z.boolean().default(false),
    check: z.boolean().default(false),
    trust: z.boolean().default(false),
    latest: z.boolean().default(false),
    verify: z.boolean().optional(),
    commitOnFailure: z.boolean().default(false),
    acceptKept: z.boolean().default(false),
    abort: z.boolean().default(false),
    continue: z.boolean().default(false),
    /** Every application in the repository (or under the directory given), one after another. */
    all: z.boolean().default(false),
    /** Refresh the template's lockfile after the merge (`--no-lockfile` skips it). */
    lockfile: z.boolean().default(true),
  });
export type UpgradeOptions = z.infer<typeof upgradeOptionsSchema>;

export type { UpgradeDependencies };

/** `paved upgrade [dir] [--all]`: parse the flags, pick the services, upgrade each (src/upgrade/run.ts). */
export async function upgradeCommand(dir: string | undefined, rawOptions: unknown, deps: UpgradeDependencies): Promise<void> {
  const options = parseCommandOptions(upgradeOptionsSchema, rawOptions, "upgrade");
  const selection = await selectApplications(dir, { all: options.all });
  if (!selection.all) return upgradeService(selection.dir, options, deps);
  const [first] = selection.applications;

  const oneOnly = options.abort
    ? "--abort"
    : options.continue
      ? "--continue"
      : options.set.length > 0
        ? "--set"
        : options.answersFile
          ? "--answers-file"
          : undefined;
  if (oneOnly) {
    throw new UserError(
      `${oneOnly} works on one service, and ${selection.applications.length} were found (${selection.applications.map(shownPath).join(", ")})`,
      {
        hint: `pass the service's directory, e.g. \`paved upgrade ${shownPath(first)} ${oneOnly}\``,
      },
    );
  }
  const each = () =>
    forEachApplication(selection.applications, deps.out, (app, out) =>
      upgradeService(app.dir, options, { ...deps, out }, !upgradeOnlyReads(options)),
    );
  // One lock for the whole run: the services share the repository's index, and no other paved may slip in between.
  const outcomes = upgradeOnlyReads(options) ? await each() : await withRepositoryLock(first.dir, each);
  finishApplications(
    outcomes,
    deps.out,
    "paved upgrade",
    options.check ? "behind the latest version" : options.dryRun ? "would stop for a person" : "need a person",
  );
}
