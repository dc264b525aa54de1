import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ProblemFound, UserError } from "../errors.js";
import { assertTargetFree } from "../fs/staging.js";
import { writeTree } from "../fs/write-tree.js";
import { Verbatim, type Output } from "../output.js";
import { kebab } from "../render/case.js";
import { TEMPLATE_NAME } from "../templates/manifest.js";
import { fleetReportOptionsSchema } from "./fleet.js";
import { monotonicMs } from "../clock.js";
import {
  answerOptionsSchema,
  chooseSource,
  commonOptionsSchema,
  parseCommandOptions,
  prereleaseOptionSchema,
  sourceOptionSchema,
} from "./options.js";

export const templateLintOptionsSchema = commonOptionsSchema;

export async function templateLintCommand(dir: string, rawOptions: unknown, out: Output): Promise<void> {
  parseCommandOptions(templateLintOptionsSchema, rawOptions, "template lint");
  const { lintTemplate } = await import("../authoring/lint.js");
  const result = await lintTemplate(dir);
  const ok = result.findings.length === 0;
  out.result({ ok, ...result });
  const what = result.name ? `${result.name} ${result.version}` : dir;
  const where = (f: { file: string; line?: number; column?: number }) =>
    `${f.file}${f.line ? `:${f.line}${f.column ? `:${f.column}` : ""}` : ""}`;
  for (const f of result.findings) {
    out.print(`${where(f)}  ${out.c.red(f.rule)}  ${f.message}`);
    if (f.hint) out.print(out.c.dim(`    fix: ${f.hint}`));
  }
  for (const w of result.warnings) out.print(`${where(w)}  ${out.c.yellow(w.rule)}  ${w.message}`);
  const warned = result.warnings.length ? `; ${result.warnings.length} warning${result.warnings.length === 1 ? "" : "s"}` : "";
  const rendered = result.rendered.length ? ` (rendered with ${result.rendered.join(", ")})` : "";
  if (ok) {
    out.print(`${out.c.green("✓")} ${what}: no findings${warned}${rendered}`);
    return;
  }
  out.print(`${out.c.red("✗")} ${what}: ${result.findings.length} finding${result.findings.length === 1 ? "" : "s"}${warned}${rendered}`);
  throw new ProblemFound("lint findings");
}

export const templateTestOptionsSchema = commonOptionsSchema.extend({
  example: z.string().optional(),
  install: z.boolean().default(true),
  doctor: z.boolean().default(true),
  keep: z.boolean().default(false),
  coverage: z.boolean().default(false),
  minCoverage: z
    .string()
    .regex(/^(100|\d{1,2})(\.\d+)?$/, "must be a percentage from 0 to 100, e.g. --min-coverage 80")
    .transform(Number)
    .optional(),
});

export async function templateTestCommand(dir: string, rawOptions: unknown, out: Output): Promise<void> {
  const options = parseCommandOptions(templateTestOptionsSchema, rawOptions, "template test");
  const { testTemplate } = await import("../authoring/test-template.js");
  const started = monotonicMs();
  const result = await testTemplate(dir, {
    install: options.install,
    doctor: options.doctor,
    keep: options.keep,
    ...(options.example !== undefined ? { example: options.example } : {}),
    log: (line) => out.info(line),
  });
  const failed = result.examples.filter((e) => !e.ok);
  const seconds = (monotonicMs() - started) / 1000;
  const wantsCoverage = options.coverage || options.minCoverage !== undefined;
  const coverage = wantsCoverage ? await (await import("../authoring/coverage.js")).coverageOfTemplateDir(dir) : undefined;
  const belowMinimum = coverage !== undefined && options.minCoverage !== undefined && coverage.percent < options.minCoverage;
  out.result({
    ok: failed.length === 0 && !belowMinimum,
    name: result.name,
    version: result.version,
    examples: result.examples,
    durationMs: Math.round(seconds * 1000),
    ...(coverage ? { coverage } : {}),
  });
  for (const example of result.examples) {
    const steps = example.error
      ? `render failed: ${example.error}`
      : example.steps.map((s) => `${s.ok ? "✓" : "✗"} ${s.command}`).join(", ") || "no test commands";
    out.print(
      `${example.ok ? out.c.green("✓") : out.c.red("✗")} ${example.name}: ${example.files} files; ${steps}; doctor ${example.doctor.status} (${example.doctor.detail})`,
    );
    for (const error of example.doctor.errors ?? []) out.print(`    ${error}`);
    if (options.keep) out.print(out.c.dim(`    kept in ${example.dir}`));
  }
  out.print(
    `${result.name} ${result.version}: ${result.examples.length - failed.length}/${result.examples.length} examples passed in ${seconds.toFixed(1)} s`,
  );
  if (coverage) printCoverage(coverage, out);
  if (failed.length > 0) throw new ProblemFound("template test failed");
  if (belowMinimum) {
    out.print(`${out.c.red("✗")} coverage ${coverage.percent}% is below --min-coverage ${options.minCoverage}%`);
    throw new ProblemFound("coverage below minimum");
  }
}

function printCoverage(coverage: import("../authoring/coverage.js").CoverageReport, out: Output): void {
  out.print(
    `\nCoverage: ${coverage.covered}/${coverage.total} branches (${coverage.percent}%) with ${coverage.sets.join(", ") || "no answer set"}`,
  );
  const missed = new Map<string, string[]>();
  for (const b of coverage.branches) {
    if (b.exercisedBy.length > 0) continue;
    const at = b.line ? `:${b.line}${b.column ? `:${b.column}` : ""}` : "";
    missed.set(b.file, [
      ...(missed.get(b.file) ?? []),
      `${at ? `${at.slice(1)}  ` : ""}${b.kind === "choice" ? "never picked: " : "never taken: "}${b.label}`,
    ]);
  }
  for (const [file, lines] of missed) {
    out.print(`  ${file}`);
    for (const line of lines) out.print(`    ${line}`);
  }
}

export const templateNewOptionsSchema = commonOptionsSchema.extend({
  name: z.string().optional(),
});

export async function templateNewCommand(dir: string, rawOptions: unknown, out: Output): Promise<void> {
  const options = parseCommandOptions(templateNewOptionsSchema, rawOptions, "template new");
  const target = path.resolve(dir);
  const name = options.name ?? kebab(path.basename(target));
  if (!TEMPLATE_NAME.test(name)) {
    throw new UserError(`template name "${name}" must be lowercase letters, digits and dashes`, {
      hint: "pass --name, e.g. --name service",
    });
  }
  assertTargetFree(target);
  const { starterTemplate, STARTER_VERSION } = await import("../authoring/starter.js");
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  const tree = starterTemplate(name, pkg.version, new Date().toISOString().slice(0, 10));
  await mkdir(target, { recursive: true });
  await writeTree(target, tree);
  const files = [...tree.keys()].sort();
  out.result({ ok: true, name, version: STARTER_VERSION, dir: target, files });
  const shown = path.relative(process.cwd(), target) || ".";
  out.print(`${out.c.green("✓")} Created the template ${out.c.bold(name)} ${STARTER_VERSION} in ${shown} (${files.length} files)`);
  out.print("\nNext steps:");
  for (const step of [
    `paved template lint ${shown}`,
    `paved template test ${shown}`,
    `cd ${shown} && git init && git add -A && git commit -m "${name} ${STARTER_VERSION}" && git tag v${STARTER_VERSION}`,
    `paved new ${name} my-app --source ${shown}`,
  ]) {
    out.print(`  ${step}`);
  }
}

export const templateReleaseOptionsSchema = commonOptionsSchema.extend({
  date: z.string().optional(),
});

export async function templateReleaseCommand(dir: string, version: string, rawOptions: unknown, out: Output): Promise<void> {
  const options = parseCommandOptions(templateReleaseOptionsSchema, rawOptions, "template release");
  const { releaseVersion, RELEASE_LOCK_FILE } = await import("../authoring/release.js");
  const result = await releaseVersion(dir, version, options.date !== undefined ? { date: options.date } : {});
  out.result({ ok: true, ...result });
  const shown = path.relative(process.cwd(), path.join(result.dir, result.version)) || ".";
  out.print(
    `${out.c.green("✓")} Created ${shown} from ${result.from} (${result.files} files): version ${result.version}, released ${result.released}; changelog, actions and migrations emptied`,
  );
  const lockShown = path.relative(process.cwd(), path.join(result.dir, RELEASE_LOCK_FILE));
  out.print(
    `${out.c.green("✓")} ${lockShown}: ${result.newlyLocked.length ? `locked ${result.newlyLocked.join(", ")}` : "nothing new to lock"} (${result.locked.length} released version${result.locked.length === 1 ? "" : "s"} locked)`,
  );
  out.print("\nNext steps:");
  for (const step of [
    `git add ${shown} ${lockShown} && git commit -m "${path.basename(result.dir)} ${result.version}: copy of ${result.from}"   (reviewers then see the changes as a diff)`,
    `edit ${shown}: the change, its changelog, actions and migrations (only what changed since ${result.from})`,
    `paved template lint ${shown}`,
    `paved template test ${shown}`,
  ]) {
    out.print(`  ${step}`);
  }
}

export const templatePreviewOptionsSchema = commonOptionsSchema.extend(answerOptionsSchema.shape).extend({
  out: z.string().min(1).optional(),
});

/** Render a template version with answers: into --out (which must not exist or be empty), or list the files. */
export async function templatePreviewCommand(dir: string, rawOptions: unknown, out: Output): Promise<void> {
  const options = parseCommandOptions(templatePreviewOptionsSchema, rawOptions, "template preview");
  const { collectProvided } = await import("../answers/provided.js");
  const { previewTemplate } = await import("../authoring/release-preview.js");
  const preview = await previewTemplate(dir, await collectProvided(options.set, options.answersFile));
  const files = [...preview.tree]
    .map(([p, e]) => ({
      path: p,
      bytes: e.symlink !== undefined ? 0 : e.data.byteLength,
      managed: preview.managed.has(p),
      ...(e.symlink !== undefined ? { symlink: e.symlink } : {}),
    }))
    .sort((a, b) => a.path.localeCompare(b.path));
  if (options.out !== undefined) {
    const target = path.resolve(options.out);
    assertTargetFree(target);
    await mkdir(target, { recursive: true });
    await writeTree(target, preview.tree);
  }
  out.result({
    ok: true,
    name: preview.name,
    version: preview.version,
    answers: preview.answers,
    files,
    ...(options.out !== undefined ? { out: path.resolve(options.out) } : {}),
  });
  const width = Math.max(0, ...files.map((f) => f.path.length));
  for (const f of files)
    out.print(
      `  ${f.path.padEnd(width)}  ${f.symlink !== undefined ? `-> ${f.symlink}` : `${f.bytes} B`}${f.managed ? out.c.dim("  (managed)") : ""}`,
    );
  const total = files.reduce((n, f) => n + f.bytes, 0);
  const where = options.out !== undefined ? ` written to ${path.relative(process.cwd(), path.resolve(options.out)) || "."}` : "";
  out.print(`${out.c.green("✓")} ${preview.name} ${preview.version}: ${files.length} files, ${total} B${where}`);
}

export const templateDiffOptionsSchema = commonOptionsSchema.extend(answerOptionsSchema.shape).extend({
  from: z.string().min(1),
  to: z.string().min(1).optional(),
});

/** The change a service with these answers, never edited, receives from `paved upgrade --from -> --to`. */
export async function templateDiffCommand(dir: string, rawOptions: unknown, out: Output): Promise<void> {
  const options = parseCommandOptions(templateDiffOptionsSchema, rawOptions, "template diff");
  const { collectProvided } = await import("../answers/provided.js");
  const { templateReleaseDiff } = await import("../authoring/release-preview.js");
  const diff = await templateReleaseDiff({
    dir,
    from: options.from,
    ...(options.to !== undefined ? { to: options.to } : {}),
    provided: await collectProvided(options.set, options.answersFile),
  });
  // Patches are file content the author asked to see: byte for byte, as `paved diff` shows them.
  const files = diff.files.map((f) => ({ ...f, patch: new Verbatim(f.patch) }));
  out.result({ ok: true, template: diff.template, from: diff.from, to: diff.to, steps: diff.steps, conflicts: diff.conflicts, files });
  for (const f of diff.files) {
    out.print(out.c.bold(`${f.action} ${f.path}${f.managed ? " (managed: upgrade overwrites it)" : ""}`));
    out.print(f.binary ? "  binary file changes" : new Verbatim(f.patch.replace(/\n$/, "")));
  }
  const managed = diff.files.filter((f) => f.managed).length;
  out.print(
    `${diff.template} ${diff.from} -> ${diff.to}: ${diff.files.length} file${diff.files.length === 1 ? "" : "s"} change${managed ? ` (${managed} managed)` : ""}${diff.conflicts.length ? `; conflicts in ${diff.conflicts.join(", ")}` : ""}`,
  );
}

export const IMPACT_FORMATS = ["human", "json", "markdown"] as const;

export const templateImpactOptionsSchema = commonOptionsSchema
  .extend({
    to: z.string().min(1).optional(),
    format: z.enum(IMPACT_FORMATS, { message: `must be one of ${IMPACT_FORMATS.join(", ")}` }).optional(),
    failOnConflicts: z.boolean().default(false),
  })
  .extend(fleetReportOptionsSchema.pick({ reposFile: true, maxDepth: true, shard: true, jobs: true }).shape);

/** `paved template impact <dir> --to <version> [targets...]`: what the release does to every service on the template. */
export async function templateImpactCommand(
  dir: string,
  targets: string[],
  rawOptions: unknown,
  out: Output,
  write: (text: string) => void = (t) => void process.stdout.write(t),
): Promise<void> {
  const options = parseCommandOptions(templateImpactOptionsSchema, rawOptions, "template impact");
  if (options.json && options.format && options.format !== "json") {
    throw new UserError(`--json and --format ${options.format} disagree`, { hint: "--json means --format json; pass one of them" });
  }
  const format = options.json ? "json" : (options.format ?? "human");
  const { templateImpact } = await import("../authoring/impact.js");
  const report = await templateImpact({
    templateDir: dir,
    ...(options.to !== undefined ? { to: options.to } : {}),
    targets,
    ...(options.reposFile ? { reposFile: options.reposFile } : {}),
    maxDepth: options.maxDepth ?? Number.POSITIVE_INFINITY,
    shard: options.shard ?? null,
    cwd: process.cwd(),
    ...(options.jobs ? { concurrency: options.jobs } : {}),
    onRow: (row, done, total) => {
      if (process.stderr.isTTY) out.info(`[${done}/${total}] ${row.id}`);
    },
  });
  const formats = await import("../authoring/impact-format.js");
  if (format === "json") write(JSON.stringify(report, null, 2) + "\n");
  else if (format === "markdown") write(formats.formatImpactMarkdown(report));
  // --quiet: nothing on stdout for a person (the exit code answers, with --fail-on-conflicts); an asked-for format is still written.
  else if (!options.quiet) write(formats.formatImpactHuman(report, out.c));
  if (options.failOnConflicts && report.totals.conflicts > 0) {
    out.warn(
      `--fail-on-conflicts: ${report.totals.conflicts} service${report.totals.conflicts === 1 ? "" : "s"} would stop with conflicts`,
    );
    throw new ProblemFound("the release would conflict");
  }
}

export const templateExportBackstageOptionsSchema = commonOptionsSchema
  .extend(sourceOptionSchema.shape)
  .extend(prereleaseOptionSchema.shape)
  .extend({
    version: z.string().min(1).optional(),
    output: z.string().min(1).optional(),
    owner: z.string().min(1).optional(),
    type: z.string().min(1).optional(),
  });

/** `paved template export backstage <template>`: the template version as a Backstage Template entity (YAML). */
export async function templateExportBackstageCommand(
  template: string,
  rawOptions: unknown,
  out: Output,
  write: (text: string) => void = (t) => void process.stdout.write(t),
): Promise<void> {
  const options = parseCommandOptions(templateExportBackstageOptionsSchema, rawOptions, "template export backstage");
  const { openSource, resolveVersion } = await import("../templates/source.js");
  const { backstageTemplateEntity, backstageTemplateYaml } = await import("../authoring/export-backstage.js");
  const choice = chooseSource(options.source);
  const source = await openSource(choice.spec, { prerelease: options.prerelease, warn: (m) => out.warn(m) });
  const version = await source.loadVersion(template, await resolveVersion(source, template, options.version));
  // The Backstage backend opens the source itself: a git URL (credentials left out) or an absolute directory.
  const entity = backstageTemplateEntity({
    manifest: version.manifest,
    ...(source.kind === "builtin" ? {} : { source: source.id }),
    ...(options.owner !== undefined ? { owner: options.owner } : {}),
    ...(options.type !== undefined ? { type: options.type } : {}),
  });
  const text = backstageTemplateYaml(entity);
  if (options.output !== undefined) {
    const { fileSystemError } = await import("../fs/fs-error.js");
    await writeFile(options.output, text).catch((error: unknown) => {
      throw fileSystemError(error, `write ${options.output}`);
    });
  }
  out.result({
    ok: true,
    template,
    version: version.manifest.version,
    source: source.id,
    ...(options.output !== undefined ? { output: path.resolve(options.output) } : {}),
    entity,
  });
  if (options.output !== undefined) {
    out.print(
      `${out.c.green("✓")} ${options.output}: Backstage Template ${template} ${version.manifest.version} (${version.manifest.questions.length} questions; steps paved:new, publish:github, catalog:register)`,
    );
  } else if (!options.json) {
    write(text);
  }
}
