import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { asOfSchema, todayUtc } from "../as-of.js";
import { ProblemFound, UserError } from "../errors.js";
import { exitCodeOfReport } from "../doctor/format/common.js";
import { githubStepSummary } from "../doctor/format/github.js";
import { FORMATS, formatReport, type Format } from "../doctor/format/index.js";
import { runDoctor } from "../doctor/run.js";
import { fileSystemError } from "../fs/fs-error.js";
import { withRepositoryLock } from "../fs/lock.js";
import { SERVICE_FILE } from "../service-file.js";
import type { Output } from "../output.js";
import { commonOptionsSchema, flagValue, parseCommandOptions, sourceOptionSchema } from "./options.js";

export const doctorOptionsSchema = commonOptionsSchema.extend(sourceOptionSchema.shape).extend({
  format: z.enum(FORMATS).optional(),
  output: flagValue.optional(),
  strict: z.boolean().default(false),
  fix: z.boolean().default(false),
  graceDays: z
    .string()
    .regex(/^\d+$/, "must be a whole number of days, e.g. --grace-days 14")
    .transform(Number)
    .optional(),
  asOf: asOfSchema.optional(),
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

/** Without a directory argument, the nearest directory upwards that holds `.paved.yml` (as git finds .git). */
export function findServiceDir(start: string): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, SERVICE_FILE))) return dir;
    if (existsSync(path.join(dir, ".git")) || path.dirname(dir) === dir) return path.resolve(start);
  }
}

function chooseFormat(options: DoctorOptions): Format {
  if (options.json && options.format && options.format !== "json") {
    throw new UserError(`--json and --format ${options.format} disagree`, { hint: "--json means --format json; pass one of them" });
  }
  return options.json ? "json" : (options.format ?? "human");
}

/** `paved doctor [dir]`: check a service against its golden path; exit 1 on errors (or warnings with --strict). */
export async function doctorCommand(dir: string | undefined, rawOptions: unknown, deps: DoctorDependencies): Promise<void> {
  const options = parseCommandOptions(doctorOptionsSchema, rawOptions, "doctor", FLAG_FIXES);
  const format = chooseFormat(options);
  const { out } = deps;
  const write = deps.write ?? ((text: string) => void process.stdout.write(text));
  const env = deps.env ?? process.env;

  const serviceDir = dir ?? findServiceDir(process.cwd());
  const run = () =>
    runDoctor({
      dir: serviceDir,
      ...(options.source ? { source: options.source } : {}),
      strict: options.strict,
      fix: options.fix,
      ...(options.graceDays !== undefined ? { graceDays: options.graceDays } : {}),
      asOf: options.asOf ?? todayUtc(),
    });
  // --fix writes: it holds the repository lock from before reading .paved.yml to the last write, as upgrade does.
  const report = options.fix
    ? await withRepositoryLock(path.resolve(serviceDir), () =>
        run().catch((error: unknown) => {
          throw fileSystemError(error, `apply the fixes in ${serviceDir}`);
        }),
      )
    : await run();

  if (options.output) {
    const text = formatReport(report, format);
    try {
      writeFileSync(options.output, text);
    } catch (error) {
      throw new UserError(`--output ${options.output}: cannot write: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { hint: "pass a path in an existing, writable directory" });
    }
    if (!options.quiet && !options.json) write(formatReport(report, "human", { palette: out.c }));
    out.info(`wrote the ${format} report to ${options.output}`);
  } else if (format === "human") {
    write(formatReport(report, "human", { palette: out.c, onlyProblems: options.quiet }));
  } else {
    write(formatReport(report, format));
    for (const f of report.fixed) out.info(`${f.action} ${f.path}`);
  }

  if (format === "github" && env.GITHUB_STEP_SUMMARY) {
    try {
      appendFileSync(env.GITHUB_STEP_SUMMARY, githubStepSummary(report) + "\n");
    } catch (error) {
      out.warn(`could not append to $GITHUB_STEP_SUMMARY (${env.GITHUB_STEP_SUMMARY}): ${(error as Error).message}`);
    }
  }

  if (exitCodeOfReport(report) !== 0) throw new ProblemFound("doctor found problems");
}
