import { appendFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { asOfSchema, todayUtc } from "../as-of.js";
import { selectApplications, type Application } from "../applications.js";
import { ProblemFound, UserError } from "../errors.js";
import { exitCodeOfReport } from "../doctor/format/common.js";
import { githubStepSummary } from "../doctor/format/github.js";
import { exitCodeOfReports, FORMATS, formatReport, formatReports, type Format, type UncheckedApplication } from "../doctor/format/index.js";
import type { DoctorReport } from "../doctor/model.js";
import { runDoctor } from "../doctor/run.js";
import { fileSystemError } from "../fs/fs-error.js";
import { withRepositoryLock } from "../fs/lock.js";
import type { Output } from "../output.js";
import { commonOptionsSchema, flagValue, parseCommandOptions, sourceOptionSchema } from "./options.js";

export const doctorOptionsSchema = commonOptionsSchema.extend(sourceOptionSchema.shape).extend({
  format: z.enum(FORMATS).optional(),
  output: flagValue.optional(),
  strict: z.boolean().default(false),
  fix: z.boolean().default(false),
  graceDays: z.string().regex(/^\d+$/, "must be a whole number of days, e.g. --grace-days 14").transform(Number).optional(),
  asOf: asOfSchema.optional(),
  all: z.boolean().default(false),
});
export type DoctorOptions = z.infer<typeof doctorOptionsSchema>;

export interface DoctorDependencies {
  out: Output;
  /** Where the report goes without --output (stdout). */
  write?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

const FLAG_FIXES: Record<string, string> = {
  "--as-of": "pass a day such as --as-of 2026-12-01, or leave the flag out to judge as of today (UTC)",
};

function chooseFormat(options: DoctorOptions): Format {
  if (options.json && options.format && options.format !== "json") {
    throw new UserError(`--json and --format ${options.format} disagree`, { hint: "--json means --format json; pass one of them" });
  }
  return options.json ? "json" : (options.format ?? "human");
}

/**
 * `paved doctor [dir] [--all]`: check a service against its golden path; exit 1 on errors (or warnings with
 * --strict). At a repository root with no `.paved.yml` (or with --all), every service, in one report.
 */
export async function doctorCommand(dir: string | undefined, rawOptions: unknown, deps: DoctorDependencies): Promise<void> {
  const options = parseCommandOptions(doctorOptionsSchema, rawOptions, "doctor", FLAG_FIXES);
  const format = chooseFormat(options);
  const selection = await selectApplications(dir, { all: options.all });
  if (!selection.all) return doctorService({ dir: selection.dir }, options, format, deps);
  const { applications } = selection;
  const checkAll = () => checkApplications(applications, options);
  // --fix writes: one lock for the whole run, as upgrade --all takes it.
  const { reports, unchecked } = options.fix ? await withRepositoryLock(applications[0].dir, checkAll) : await checkAll();
  const { out } = deps;
  for (const u of unchecked) if (!out.json) out.error(`${u.path || "."}: ${u.error.message}`, u.error.hint);
  emitReport(reports, unchecked, options, format, deps);
  const exitCode = exitCodeOfReports(reports, unchecked);
  const failing = reports.filter((r) => exitCodeOfReport(r) !== 0).map((r) => r.path || ".");
  const tally = [
    `${reports.length - failing.length} ok`,
    ...(failing.length ? [`${failing.length} failed (${failing.join(", ")})`] : []),
    ...(unchecked.length ? [`${unchecked.length} could not be checked (${unchecked.map((u) => u.path || ".").join(", ")})`] : []),
  ];
  if (format === "human" && !options.output) out.print(`\npaved doctor: ${applications.length} applications, ${tally.join(", ")}`);
  if (exitCode !== 0) throw new ProblemFound(`doctor: ${tally.join(", ")}`, exitCode);
}

/** Run doctor on each application; one that cannot be checked (exit 2) does not stop the others. */
async function checkApplications(
  applications: readonly Application[],
  options: DoctorOptions,
): Promise<{ reports: DoctorReport[]; unchecked: UncheckedApplication[] }> {
  const reports: DoctorReport[] = [];
  const unchecked: UncheckedApplication[] = [];
  for (const app of applications) {
    try {
      reports.push(
        await runDoctor(runOptions(app, options)).catch((error: unknown) => {
          throw options.fix ? fileSystemError(error, `apply the fixes in ${app.dir}`) : error;
        }),
      );
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      unchecked.push({
        path: app.path,
        error: { message: error.message, ...(error.hint ? { hint: error.hint } : {}), code: error.code, fields: error.fields },
      });
    }
  }
  return { reports, unchecked };
}

/** One application to check; without its path in the repository, doctor asks git for it. */
type DoctorTarget = Pick<Application, "dir"> & Partial<Pick<Application, "path">>;

function runOptions(app: DoctorTarget, options: DoctorOptions) {
  return {
    dir: app.dir,
    ...(app.path !== undefined ? { path: app.path } : {}),
    ...(options.source ? { source: options.source } : {}),
    strict: options.strict,
    fix: options.fix,
    ...(options.graceDays !== undefined ? { graceDays: options.graceDays } : {}),
    asOf: options.asOf ?? todayUtc(),
  };
}

/** The combined report: to --output (plus the human one on stdout), or stdout; and the GitHub step summary. */
function emitReport(
  reports: readonly DoctorReport[],
  unchecked: readonly UncheckedApplication[],
  options: DoctorOptions,
  format: Format,
  deps: DoctorDependencies,
): void {
  const { out } = deps;
  const write = deps.write ?? ((text: string) => void process.stdout.write(text));
  const env = deps.env ?? process.env;
  if (options.output) {
    writeOutput(options.output, formatReports(reports, format, {}, unchecked));
    if (!options.quiet && !options.json) write(formatReports(reports, "human", { palette: out.c }));
    out.info(`wrote the ${format} report to ${options.output}`);
  } else {
    write(formatReports(reports, format, { palette: out.c, onlyProblems: options.quiet }, unchecked));
    if (format !== "human")
      for (const r of reports) for (const f of r.fixed) out.info(`${f.action} ${r.path ? `${r.path}/` : ""}${f.path}`);
  }
  if (format === "github" && env.GITHUB_STEP_SUMMARY) {
    for (const report of reports) appendStepSummary(env.GITHUB_STEP_SUMMARY, report, out);
  }
}

function writeOutput(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot write: ${errno ?? (error as Error).message}`, {
      hint: "pass a path in an existing, writable directory",
      fields: { flag: "--output", file, ...(errno ? { errno } : {}) },
    });
  }
}

function appendStepSummary(file: string, report: DoctorReport, out: Output): void {
  try {
    appendFileSync(file, githubStepSummary(report) + "\n");
  } catch (error) {
    out.warn(`could not append to $GITHUB_STEP_SUMMARY (${file}): ${(error as Error).message}`);
  }
}

async function doctorService(app: DoctorTarget, options: DoctorOptions, format: Format, deps: DoctorDependencies): Promise<void> {
  const serviceDir = app.dir;
  const { out } = deps;
  const write = deps.write ?? ((text: string) => void process.stdout.write(text));
  const env = deps.env ?? process.env;
  const run = () => runDoctor(runOptions(app, options));
  // --fix writes: it holds the repository lock from before reading .paved.yml to the last write, as upgrade does.
  const report = options.fix
    ? await withRepositoryLock(path.resolve(serviceDir), () =>
        run().catch((error: unknown) => {
          throw fileSystemError(error, `apply the fixes in ${serviceDir}`);
        }),
      )
    : await run();

  if (options.output) {
    writeOutput(options.output, formatReport(report, format));
    if (!options.quiet && !options.json) write(formatReport(report, "human", { palette: out.c }));
    out.info(`wrote the ${format} report to ${options.output}`);
  } else if (format === "human") {
    write(formatReport(report, "human", { palette: out.c, onlyProblems: options.quiet }));
  } else {
    write(formatReport(report, format));
    for (const f of report.fixed) out.info(`${f.action} ${f.path}`);
  }
  if (format === "github" && env.GITHUB_STEP_SUMMARY) appendStepSummary(env.GITHUB_STEP_SUMMARY, report, out);
  if (exitCodeOfReport(report) !== 0) throw new ProblemFound("doctor found problems");
}
