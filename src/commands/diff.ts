import path from "node:path";
import { z } from "zod";
import { recordedProvided, resolveAnswers } from "../answers/answers.js";
import { ProblemFound, UserError } from "../errors.js";
import { readTree } from "../fs/read-tree.js";
import { Verbatim, type Output } from "../output.js";
import { renderTemplate } from "../render/render.js";
import { selectApplications } from "../applications.js";
import { readServiceFile, SERVICE_FILE, type ServiceFile } from "../service-file.js";
import { displayPath, type TemplateSource } from "../templates/source.js";
import { byteString, displayTexts, entriesEqual, fromByteString, gitMode, isBinary, type FileEntry, type FileTree } from "../tree.js";
import { openServiceSource } from "../upgrade/service-source.js";
import { countChanges, unifiedHunks } from "../upgrade/unified-diff.js";
import { openRepository, readWorkingTree } from "../upgrade/worktree.js";
import { finishApplications, forEachApplication } from "./each-application.js";
import { commonOptionsSchema, parseCommandOptions, sourceOptionSchema } from "./options.js";

export const diffOptionsSchema = commonOptionsSchema.extend(sourceOptionSchema.shape).extend({
  stat: z.boolean().default(false),
  exitCode: z.boolean().default(false),
  all: z.boolean().default(false),
});
type DiffOptions = z.infer<typeof diffOptionsSchema>;

export interface DriftedFile {
  path: string;
  status: "modified" | "deleted" | "mode";
  binary: boolean;
  added: number;
  removed: number;
  /** The unified diff (template render -> working tree), git style, as a byte string (`fromByteString` gives git's bytes). */
  patch: string;
}

/** A UTF-8 string (paths, headers) as a byte string. */
function utf8Bytes(text: string): string {
  return byteString(Buffer.from(text, "utf8"));
}

/** The content git diffs, as a byte string: any text (no NUL early on) is diffed line by line whatever its encoding. */
function bytesOf(entry: FileEntry | undefined): string {
  if (!entry) return "";
  return entry.symlink !== undefined ? utf8Bytes(entry.symlink) : byteString(entry.data);
}

/** How the team's tree differs from a fresh render: files the template renders that were changed or deleted. */
export function findDrift(rendered: FileTree, ours: FileTree): DriftedFile[] {
  const drift: DriftedFile[] = [];
  for (const p of [...rendered.keys()].sort()) {
    if (p === SERVICE_FILE) continue;
    const theirs = rendered.get(p)!;
    const mine = ours.get(p);
    if (entriesEqual(theirs, mine)) continue;
    const header = [`diff --git a/${p} b/${p}`];
    if (!mine) header.push(`deleted file mode ${gitMode(theirs)}`);
    else if (gitMode(theirs) !== gitMode(mine)) header.push(`old mode ${gitMode(theirs)}`, `new mode ${gitMode(mine)}`);
    const binary = (theirs.symlink === undefined && isBinary(theirs.data)) || (mine !== undefined && mine.symlink === undefined && isBinary(mine.data));
    const before = bytesOf(theirs);
    const after = bytesOf(mine);
    let body = "";
    let counts = { added: 0, removed: 0 };
    if (binary) {
      if (!mine || !entriesEqual({ ...theirs, mode: 0o644 }, { ...mine, mode: 0o644 })) body = utf8Bytes(`Binary files a/${p} and ${mine ? `b/${p}` : "/dev/null"} differ\n`);
    } else if (before !== after) {
      counts = countChanges(before, after);
      body = `${utf8Bytes(`--- a/${p}\n+++ ${mine ? `b/${p}` : "/dev/null"}\n`)}${unifiedHunks(before, after)}`;
    }
    const status = !mine ? "deleted" : before === after && !binary ? "mode" : "modified";
    drift.push({ path: p, status, binary, ...counts, patch: `${utf8Bytes(`${header.join("\n")}\n`)}${body}` });
  }
  return drift;
}

function statLine(f: DriftedFile, width: number, scale: number): string {
  const total = f.added + f.removed;
  const bar = f.binary ? "Bin" : `${total} ${"+".repeat(Math.round(f.added * scale))}${"-".repeat(Math.round(f.removed * scale))}`;
  return ` ${f.path.padEnd(width)} | ${bar}`;
}

export interface ServiceDrift {
  service: ServiceFile;
  source: TemplateSource;
  /** Files a fresh render produces (without .paved.yml). */
  rendered: number;
  drift: DriftedFile[];
}

/** A service's drift from a fresh render of its recorded version with its recorded answers (`paved diff`, `paved fleet`). */
export async function serviceDrift(target: string, sourceFlag: string | undefined): Promise<ServiceDrift> {
  const service = await readServiceFile(target);
  const { source, versions } = await openServiceSource(target, sourceFlag, service.source, service.template, service.version);
  if (!versions.includes(service.version)) {
    throw new UserError(`${SERVICE_FILE} records ${service.template} ${service.version}, which ${source.id} does not have`, {
      hint: `pass --source <dir> pointing at templates that include ${service.version}`,
    });
  }
  const version = await source.loadVersion(service.template, service.version);
  const meta = { template: service.template, version: service.version, dirName: path.basename(target) };
  // Resolved as upgrade resolves its base: recorded answers validated first, secrets unknown (their files skipped).
  const provided = recordedProvided(version.manifest.questions, service.answers);
  const manifestFile = displayPath(path.join(version.dir, "template.yaml"));
  const { answers, unknown } = await resolveAnswers({ questions: version.manifest.questions, provided, meta, manifestFile, fromRecord: true });
  const rendered = renderTemplate(version, answers, meta, unknown).tree;

  // In a git repository only what git would commit counts; elsewhere, everything but .git and node_modules.
  const ours = await openRepository(target).then(
    (repo) => readWorkingTree(repo),
    () => readTree(target, { ignoreDirs: new Set([".git", "node_modules"]) }),
  );
  return { service, source, rendered: [...rendered.keys()].filter((p) => p !== SERVICE_FILE).length, drift: findDrift(rendered, ours) };
}

/** `paved diff [dir] [--all]`: the drift of one service, or of each service in the repository under its heading. */
export async function diffCommand(dir: string | undefined, rawOptions: unknown, deps: { out: Output }): Promise<void> {
  const options = parseCommandOptions(diffOptionsSchema, rawOptions, "diff");
  const selection = await selectApplications(dir, { all: options.all });
  if (!selection.all) return diffService(selection.applications[0]!.dir, options, deps.out);
  const outcomes = await forEachApplication(selection, deps.out, (app, out) => diffService(app.dir, options, out));
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
    files: drift.map((f) => ({ path: f.path, status: f.status, binary: f.binary, added: f.added, removed: f.removed, ...(options.stat ? {} : { patch: new Verbatim(displayTexts(f.patch)[0]!) }) })),
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
    const width = Math.max(...drift.map((f) => f.path.length));
    const widest = Math.max(1, ...drift.map((f) => f.added + f.removed));
    const scale = Math.min(1, 40 / widest);
    for (const f of drift) out.print(statLine(f, width, scale));
    out.print(` ${drift.length} file${drift.length === 1 ? "" : "s"} changed, ${added} insertion${added === 1 ? "" : "s"}(+), ${removed} deletion${removed === 1 ? "" : "s"}(-)`);
  } else {
    for (const f of drift) {
      const lines = f.patch.replace(/\n$/, "").split("\n");
      // The patch's own bytes, as git prints them (file content: not redacted); colours are ASCII escapes around whole lines.
      out.printBytes(
        fromByteString(
          lines
            .map((l) => (l.startsWith("+") && !l.startsWith("+++") ? out.c.green(l) : l.startsWith("-") && !l.startsWith("---") ? out.c.red(l) : l.startsWith("@@") ? out.c.cyan(l) : l.startsWith("diff --git") ? out.c.bold(l) : l))
            .join("\n"),
        ),
      );
    }
  }
  if (failing) throw new ProblemFound("drift found");
}
