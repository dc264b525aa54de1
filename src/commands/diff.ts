import path from "node:path";
import { z } from "zod";
import { resolveAnswers, type ProvidedAnswer } from "../answers/answers.js";
import { ProblemFound, UserError } from "../errors.js";
import { readTree } from "../fs/read-tree.js";
import type { Output } from "../output.js";
import { renderTemplate } from "../render/render.js";
import { readServiceFile, SERVICE_FILE, type ServiceFile } from "../service-file.js";
import { displayPath, type TemplateSource } from "../templates/source.js";
import { entriesEqual, entryText, isBinary, isExecutable, type FileEntry, type FileTree } from "../tree.js";
import { openServiceSource } from "../upgrade/service-source.js";
import { countChanges, unifiedHunks } from "../upgrade/unified-diff.js";
import { openRepository, readWorkingTree } from "../upgrade/worktree.js";
import { commonOptionsSchema, sourceOptionSchema } from "./options.js";

export const diffOptionsSchema = commonOptionsSchema.extend(sourceOptionSchema.shape).extend({
  stat: z.boolean().default(false),
  exitCode: z.boolean().default(false),
});

export interface DriftedFile {
  path: string;
  status: "modified" | "deleted" | "mode";
  binary: boolean;
  added: number;
  removed: number;
  /** The unified diff (template render -> working tree), git style. */
  patch: string;
}

function gitMode(entry: FileEntry): string {
  if (entry.symlink !== undefined) return "120000";
  return isExecutable(entry) ? "100755" : "100644";
}

function textOf(entry: FileEntry | undefined): string {
  if (!entry) return "";
  return entry.symlink !== undefined ? `${entry.symlink}` : entryText(entry);
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
    const before = textOf(theirs);
    const after = textOf(mine);
    let body = "";
    let counts = { added: 0, removed: 0 };
    if (binary) {
      if (!mine || !entriesEqual({ ...theirs, mode: 0o644 }, { ...mine, mode: 0o644 })) body = `Binary files a/${p} and ${mine ? `b/${p}` : "/dev/null"} differ\n`;
    } else if (before !== after) {
      counts = countChanges(before, after);
      body = `--- a/${p}\n+++ ${mine ? `b/${p}` : "/dev/null"}\n${unifiedHunks(before, after)}`;
    }
    const status = !mine ? "deleted" : before === after && !binary ? "mode" : "modified";
    drift.push({ path: p, status, binary, ...counts, patch: `${header.join("\n")}\n${body}` });
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
  const provided = new Map<string, ProvidedAnswer>();
  const known = new Set(version.manifest.questions.map((q) => q.name));
  for (const [name, value] of Object.entries(service.answers)) if (known.has(name) && value !== null) provided.set(name, { value, origin: "recorded" });
  const { answers } = await resolveAnswers({ questions: version.manifest.questions, provided, meta, manifestFile: displayPath(path.join(version.dir, "template.yaml")) });
  const rendered = renderTemplate(version, answers, meta).tree;

  // In a git repository only what git would commit counts; elsewhere, everything but .git and node_modules.
  const ours = await openRepository(target).then(
    (repo) => readWorkingTree(repo),
    () => readTree(target, { ignoreDirs: new Set([".git", "node_modules"]) }),
  );
  return { service, source, rendered: [...rendered.keys()].filter((p) => p !== SERVICE_FILE).length, drift: findDrift(rendered, ours) };
}

export async function diffCommand(dir: string | undefined, rawOptions: unknown, deps: { out: Output }): Promise<void> {
  const options = diffOptionsSchema.parse(rawOptions);
  const { out } = deps;
  const target = path.resolve(dir ?? ".");
  const { service, source, drift } = await serviceDrift(target, options.source);
  const added = drift.reduce((n, f) => n + f.added, 0);
  const removed = drift.reduce((n, f) => n + f.removed, 0);

  out.result({
    ok: true,
    template: service.template,
    version: service.version,
    source: source.id,
    drifted: drift.length > 0,
    files: drift.map((f) => ({ path: f.path, status: f.status, binary: f.binary, added: f.added, removed: f.removed, ...(options.stat ? {} : { patch: f.patch }) })),
    added,
    removed,
  });
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
      out.print(
        lines
          .map((l) => (l.startsWith("+") && !l.startsWith("+++") ? out.c.green(l) : l.startsWith("-") && !l.startsWith("---") ? out.c.red(l) : l.startsWith("@@") ? out.c.cyan(l) : l.startsWith("diff --git") ? out.c.bold(l) : l))
          .join("\n"),
      );
    }
  }
  if (options.exitCode && drift.length > 0) throw new ProblemFound("drift found");
}
