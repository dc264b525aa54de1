import { existsSync, rmSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { recordableAnswers, resolveAnswers } from "../answers/answers.js";
import { onInterrupt } from "../fs/cleanup.js";
import { writeTree } from "../fs/write-tree.js";
import { normalizeCommand, runCommand, type HookCommand, type StepReport } from "../hooks.js";
import { renderTemplate } from "../render/render.js";
import { SERVICE_FILE, serializeServiceFile } from "../service-file.js";
import { BUILTIN_SOURCE_ID, builtinTemplatesDir } from "../templates/source.js";
import { textFile } from "../tree.js";
import { answerSets } from "./lint.js";
import { asTemplateVersion, parseTemplateManifest, readTemplateDir } from "./template-dir.js";
import { monotonicMs } from "../clock.js";

export interface TestStepReport extends StepReport {
  /** The last lines of output when the step failed. */
  outputTail?: string;
}

export interface DoctorReport {
  status: "pass" | "fail" | "skipped";
  detail: string;
  errors?: string[];
}

export interface ExampleReport {
  name: string;
  ok: boolean;
  files: number;
  /** Where the example was generated (kept with --keep). */
  dir: string;
  error?: string;
  steps: TestStepReport[];
  doctor: DoctorReport;
  durationMs: number;
}

export interface TemplateTestOptions {
  /** Only this example. */
  example?: string;
  /** Skip test commands marked `install: true`. */
  install: boolean;
  doctor: boolean;
  keep: boolean;
  log: (line: string) => void;
}

export interface TemplateTestResult {
  name: string;
  version: string;
  examples: ExampleReport[];
}

const OUTPUT_TAIL_LINES = 40;

/**
 * For each example (or the defaults when there are none): render into a temp dir as `paved new` would,
 * commit it, run the template's `test:` commands there, then `paved doctor` on the result.
 */
export async function testTemplate(dirArg: string, options: TemplateTestOptions): Promise<TemplateTestResult> {
  const template = await readTemplateDir(dirArg);
  const manifest = parseTemplateManifest(template);
  const version = asTemplateVersion(template, manifest);
  // The examples when there are any (they are the author's chosen cases), else the defaults.
  let sets = answerSets(manifest).sets.filter((s) => manifest.examples.length === 0 || s.example !== undefined);
  if (options.example !== undefined) {
    sets = sets.filter((s) => s.name === options.example);
    if (sets.length === 0) {
      const { UserError } = await import("../errors.js");
      throw new UserError(`template.yaml has no example "${options.example}"`, {
        hint: `examples: ${manifest.examples.map((e) => e.name).join(", ") || "(none)"}`,
      });
    }
  }
  const root = await mkdtemp(path.join(tmpdir(), "paved-template-test-"));
  const forget = options.keep ? () => {} : onInterrupt(() => rmSync(root, { recursive: true, force: true }));
  try {
    const recordedSource = await sourceForDoctor(template.dir, root, manifest.name, manifest.version);
    const examples: ExampleReport[] = [];
    for (const set of sets) {
      const started = monotonicMs();
      const dir = path.join(root, set.meta.dirName || "example", set.name.replace(/[^A-Za-z0-9._-]+/g, "-"));
      const report: ExampleReport = {
        name: set.name,
        ok: false,
        files: 0,
        dir,
        steps: [],
        doctor: { status: "skipped", detail: "not run" },
        durationMs: 0,
      };
      examples.push(report);
      options.log(`▸ ${set.name}`);
      let commands: HookCommand[];
      try {
        const { answers } = await resolveAnswers({
          questions: manifest.questions,
          provided: set.provided,
          meta: set.meta,
          manifestFile: "template.yaml",
        });
        const rendered = renderTemplate(version, answers, set.meta);
        // Rendered with the example's answers, as `paved upgrade --verify` renders them in a service.
        const context = { ...answers, paved: set.meta };
        commands = manifest.test
          .map((c, i) => normalizeCommand(c, { context, where: { file: "template.yaml", field: `test[${i}]` } }))
          .filter((c) => options.install || !c.install);
        const tree = new Map(rendered.tree);
        tree.set(
          SERVICE_FILE,
          textFile(
            serializeServiceFile({
              template: manifest.name,
              source: recordedSource,
              version: manifest.version,
              answers: recordableAnswers(manifest.questions, answers),
            }),
          ),
        );
        await mkdir(dir, { recursive: true });
        await writeTree(dir, tree);
        report.files = tree.size;
        const { initRepositoryWithCommit } = await import("../git/create.js");
        const { commitIdentityArgs } = await import("../git/identity.js");
        await initRepositoryWithCommit(dir, `Example ${set.name} of ${manifest.name} ${manifest.version}`, {
          branch: "main",
          identityArgs: await commitIdentityArgs(dir),
        });
      } catch (error) {
        report.error = error instanceof Error ? error.message : String(error);
        report.durationMs = Math.round(monotonicMs() - started);
        options.log(`  ✗ render: ${report.error}`);
        continue;
      }
      for (const command of commands) {
        const step = await runStep(command, dir, options.log);
        report.steps.push(step);
        if (!step.ok) break;
      }
      const stepsOk = report.steps.every((s) => s.ok);
      report.doctor = !options.doctor
        ? { status: "skipped", detail: "--no-doctor" }
        : stepsOk
          ? await runDoctor(dir)
          : { status: "skipped", detail: "a test command failed" };
      options.log(`  doctor: ${report.doctor.status} (${report.doctor.detail})`);
      report.ok = stepsOk && report.doctor.status !== "fail";
      report.durationMs = Math.round(monotonicMs() - started);
    }
    return { name: manifest.name, version: manifest.version, examples };
  } finally {
    forget();
    if (!options.keep) await rm(root, { recursive: true, force: true });
  }
}

/**
 * What the example's `.paved.yml` records so doctor can find the template version being tested:
 * "builtin" for the built-in templates, else a copy laid out as `<root>/<name>/<version>/` (the working
 * version may not be tagged or released yet).
 */
async function sourceForDoctor(dir: string, root: string, name: string, version: string): Promise<string> {
  if (path.resolve(dir) === path.join(builtinTemplatesDir(), name, version)) return BUILTIN_SOURCE_ID;
  const sourceRoot = path.join(root, "source");
  const copy = path.join(sourceRoot, name, version);
  await mkdir(copy, { recursive: true });
  await cp(path.join(dir, "template.yaml"), path.join(copy, "template.yaml"));
  if (existsSync(path.join(dir, "files")))
    await cp(path.join(dir, "files"), path.join(copy, "files"), { recursive: true, verbatimSymlinks: true });
  return sourceRoot;
}

async function runStep(command: HookCommand, cwd: string, log: (line: string) => void): Promise<TestStepReport> {
  log(`  $ ${command.display}`);
  const { step, failure } = await runCommand(command, cwd, { output: { tailLines: OUTPUT_TAIL_LINES }, env: { CI: "true" } });
  if (!failure) {
    log(`  ✓ ${command.display} (${(step.durationMs / 1000).toFixed(1)} s)`);
    return step;
  }
  const outputTail = failure.tail.join("\n");
  log(`  ✗ ${command.display} ${failure.why}\n${outputTail.replace(/^/gm, "    ")}`);
  return { ...step, outputTail };
}

function pavedBin(): string {
  return fileURLToPath(new URL("../../bin/paved.cjs", import.meta.url));
}

/** Doctor through the CLI (`paved doctor <dir> --json`), so this never depends on its internals. */
async function runDoctor(dir: string): Promise<DoctorReport> {
  if (!existsSync(fileURLToPath(new URL("../commands/doctor.js", import.meta.url)))) {
    return { status: "skipped", detail: "doctor not available" };
  }
  // The example tests this template version, not whether newer ones exist: version lag never counts here.
  const result = await execa(process.execPath, [pavedBin(), "doctor", dir, "--json", "--grace-days", "36500"], {
    reject: false,
    stdin: "ignore",
    env: { CI: "true", NO_COLOR: "1" },
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(result.stdout));
  } catch {
    parsed = undefined;
  }
  const errors = errorFindings(parsed);
  if (result.exitCode === 0) return { status: "pass", detail: "no errors" };
  if (result.exitCode === 1) return { status: "fail", detail: `${errors.length || "some"} error${errors.length === 1 ? "" : "s"}`, errors };
  const message =
    (parsed as { error?: { message?: string } } | undefined)?.error?.message ??
    (String(result.stderr).trim().split("\n")[0] || `exit ${result.exitCode}`);
  return { status: "fail", detail: `doctor could not run: ${message}` };
}

/** Error findings from doctor's JSON, whatever its exact shape: any object with severity error and status fail, not waived. */
function errorFindings(report: unknown): string[] {
  const out: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (!value || typeof value !== "object") return;
    const record = value as Record<string, unknown>;
    if (record.severity === "error" && record.status === "fail" && !record.waived && typeof record.message === "string") {
      out.push(
        `${typeof record.id === "string" ? record.id : typeof record.check === "string" ? record.check : "doctor"}: ${record.message}`,
      );
      return;
    }
    Object.values(record).forEach(visit);
  };
  visit(report);
  return out;
}
