import { z } from "zod";
import { selectApplications } from "../applications.js";
import { ProblemFound } from "../errors.js";
import { Verbatim, type Output } from "../output.js";
import { displayTexts, fromByteString } from "../tree.js";
import { serviceDrift, type DriftedFile } from "../upgrade/drift.js";
import { finishApplications, forEachApplication } from "./each-application.js";
import { commonOptionsSchema, parseCommandOptions, sourceOptionSchema } from "./options.js";

export const diffOptionsSchema = commonOptionsSchema.extend(sourceOptionSchema.shape).extend({
  stat: z.boolean().default(false),
  exitCode: z.boolean().default(false),
  all: z.boolean().default(false),
});
type DiffOptions = z.infer<typeof diffOptionsSchema>;

function statLine(f: DriftedFile, width: number, scale: number): string {
  const total = f.added + f.removed;
  const bar = f.binary ? "Bin" : `${total} ${"+".repeat(Math.round(f.added * scale))}${"-".repeat(Math.round(f.removed * scale))}`;
  return ` ${f.path.padEnd(width)} | ${bar}`;
}

/** `--stat` lines: one per drifted file, then the totals, as git prints them. */
export function driftStatLines(drift: readonly DriftedFile[]): string[] {
  const added = drift.reduce((n, f) => n + f.added, 0);
  const removed = drift.reduce((n, f) => n + f.removed, 0);
  const width = Math.max(...drift.map((f) => f.path.length));
  const widest = Math.max(1, ...drift.map((f) => f.added + f.removed));
  const scale = Math.min(1, 40 / widest);
  return [
    ...drift.map((f) => statLine(f, width, scale)),
    ` ${drift.length} file${drift.length === 1 ? "" : "s"} changed, ${added} insertion${added === 1 ? "" : "s"}(+), ${removed} deletion${removed === 1 ? "" : "s"}(-)`,
  ];
}

/** `paved diff [dir] [--all]`: the drift of one service, or of each service in the repository under its heading. */
export async function diffCommand(dir: string | undefined, rawOptions: unknown, deps: { out: Output }): Promise<void> {
  const options = parseCommandOptions(diffOptionsSchema, rawOptions, "diff");
  const selection = await selectApplications(dir, { all: options.all });
  if (!selection.all) return diffService(selection.dir, options, deps.out);
  const outcomes = await forEachApplication(selection.applications, deps.out, (app, out) => diffService(app.dir, options, out));
  finishApplications(outcomes, deps.out, "paved diff", "drifted");
}

async function diffService(target: string, options: DiffOptions, out: Output): Promise<void> {
  const { service, source, drift } = await serviceDrift(target, options.source);
  const added = drift.reduce((n, f) => n + f.added, 0);
  const removed = drift.reduce((n, f) => n + f.removed, 0);

  // --quiet implies --exit-code, as in git: with nothing printed, the exit code is the answer.
  const failing = (options.exitCode || options.quiet) && drift.length > 0;
  out.result({
    ok: !failing,
    template: service.template,
    version: service.version,
    source: source.id,
    drifted: drift.length > 0,
    files: drift.map((f) => ({
      path: f.path,
      status: f.status,
      binary: f.binary,
      added: f.added,
      removed: f.removed,
      ...(options.stat ? {} : { patch: new Verbatim(displayTexts(f.patch)[0]) }),
    })),
    added,
    removed,
  });
  if (options.quiet) {
    if (failing) throw new ProblemFound("drift found");
    return;
  }
  if (drift.length === 0) {
    out.info(`${out.c.green("✓")} no drift: every file matches ${service.template} ${service.version} rendered with the recorded answers`);
  } else if (options.stat) {
    for (const line of driftStatLines(drift)) out.print(line);
  } else {
    for (const f of drift) {
      const lines = f.patch.replace(/\n$/, "").split("\n");
      // The patch's own bytes, as git prints them (file content: not redacted); colours are ASCII escapes around whole lines.
      out.printBytes(
        fromByteString(
          lines
            .map((l) =>
              l.startsWith("+") && !l.startsWith("+++")
                ? out.c.green(l)
                : l.startsWith("-") && !l.startsWith("---")
                  ? out.c.red(l)
                  : l.startsWith("@@")
                    ? out.c.cyan(l)
                    : l.startsWith("diff --git")
                      ? out.c.bold(l)
                      : l,
            )
            .join("\n"),
        ),
      );
    }
  }
  if (failing) throw new ProblemFound("drift found");
}
