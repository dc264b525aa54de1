import { renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { asOfSchema, todayUtc } from "../as-of.js";
import { ProblemFound, UserError } from "../errors.js";
import type { FleetOptions, FleetReport } from "../fleet/model.js";
import type { Output } from "../output.js";
import { describeIssue, firstIssue } from "../validation.js";
import { commonOptionsSchema } from "./options.js";

export const FLEET_FORMATS = ["human", "json", "html", "csv", "markdown"] as const;
export type FleetFormat = (typeof FLEET_FORMATS)[number];
export const FAIL_ON = ["lag", "doctor", "drift"] as const;

const wholeNumber = (example: string) => z.string().regex(/^\d+$/, `must be a whole number, e.g. ${example}`).transform(Number);

const sharedSchema = commonOptionsSchema.extend({
  format: z.enum(FLEET_FORMATS).optional(),
  output: z.string().min(1).optional(),
  failOn: z.array(z.enum(FAIL_ON, { message: `must be one of ${FAIL_ON.join(", ")}` })).default([]),
  asOf: asOfSchema.optional(),
});

export const fleetReportOptionsSchema = sharedSchema.extend({
  reposFile: z.string().min(1).optional(),
  maxDepth: wholeNumber("--max-depth 3").optional(),
  shard: z
    .string()
    .regex(/^\d+\/\d+$/, "must be I/N with 1 <= I <= N, e.g. --shard 2/4")
    .transform((s) => {
      const [index, count] = s.split("/").map(Number) as [number, number];
      return { index, count };
    })
    .refine((s) => s.index >= 1 && s.index <= s.count, "must be I/N with 1 <= I <= N, e.g. --shard 2/4")
    .optional(),
  deployTag: z
    .string()
    .min(1)
    .regex(/^[^\s]+$/, "must be a tag pattern without spaces, e.g. 'v*'")
    .default("v*"),
  deployBranch: z.string().min(1).optional(),
  stickinessDays: wholeNumber("--stickiness-days 90").default(90),
  jobs: wholeNumber("--jobs 4")
    .refine((n) => n >= 1, "must be at least 1")
    .optional(),
  cache: z.boolean().default(true),
});

export const fleetMergeOptionsSchema = sharedSchema;

function parseOptions<S extends z.ZodType>(schema: S, raw: unknown, command: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = firstIssue(result.error);
  const flag = `--${String(issue.path[0] ?? "").replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`;
  throw new UserError(describeIssue(issue).replace(/^[^:]*: /, ""), {
    hint: `see \`paved fleet ${command} --help\``,
    code: "option",
    fields: { flag },
  });
}

function chooseFormat(options: { json: boolean; format?: FleetFormat | undefined }): FleetFormat {
  if (options.json && options.format && options.format !== "json") {
    throw new UserError(`--json and --format ${options.format} disagree`, { hint: "--json means --format json; pass one of them" });
  }
  return options.json ? "json" : (options.format ?? "human");
}

export const WAIVER_WARNING_DAYS = 30;

async function render(report: FleetReport, format: FleetFormat, out: Output): Promise<string> {
  switch (format) {
    case "json":
      return JSON.stringify(report, null, 2) + "\n";
    case "csv":
      return (await import("../fleet/format/csv.js")).formatCsv(report);
    case "markdown":
      return (await import("../fleet/format/markdown.js")).formatMarkdown(report);
    case "html":
      return (await import("../fleet/format/html.js")).formatHtml(report);
    case "human":
      return (await import("../fleet/format/human.js")).formatHuman(report, out.c);
  }
}

/** Write beside the target and rename: a reader (a CI artifact upload) never sees half a report. */
function writeOutput(file: string, text: string): void {
  const temporary = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.paved-${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    const errno = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot write: ${errno ?? (error as Error).message}`, {
      hint: "pass a path in an existing, writable directory",
      fields: { flag: "--output", file, ...(errno ? { errno } : {}) },
    });
  }
}

/** Which --fail-on policies the fleet breaks. */
export function brokenPolicies(report: FleetReport, failOn: readonly (typeof FAIL_ON)[number][]): string[] {
  const s = report.summary;
  const broken: string[] = [];
  if (failOn.includes("lag") && s.lag.pastGrace > 0)
    broken.push(`${s.lag.pastGrace} service${s.lag.pastGrace === 1 ? "" : "s"} lag past the grace period`);
  if (failOn.includes("doctor") && s.doctor.fail > 0)
    broken.push(`doctor fails in ${s.doctor.fail} service${s.doctor.fail === 1 ? "" : "s"}`);
  if (failOn.includes("drift") && s.drift.services > 0)
    broken.push(`${s.drift.services} service${s.drift.services === 1 ? "" : "s"} drifted from the template`);
  return broken;
}

async function emit(
  report: FleetReport,
  options: z.output<typeof sharedSchema>,
  out: Output,
  write: (text: string) => void,
): Promise<void> {
  const format = chooseFormat(options);
  const text = await render(report, format, out);
  if (options.output) {
    writeOutput(options.output, text);
    if (!options.quiet && !options.json && format !== "human") write(await render(report, "human", out));
    out.info(`wrote the ${format} report to ${options.output}`);
  } else {
    write(text);
  }
  const broken = brokenPolicies(report, options.failOn);
  if (broken.length) {
    for (const b of broken) out.warn(`--fail-on: ${b}`);
    throw new ProblemFound("fleet policy broken");
  }
}

export interface FleetDependencies {
  out: Output;
  write?: (text: string) => void;
  cwd?: string;
}

/** `paved fleet report [targets...]`. */
export async function fleetReportCommand(targets: string[], rawOptions: unknown, deps: FleetDependencies): Promise<void> {
  const options = parseOptions(fleetReportOptionsSchema, rawOptions, "report");
  chooseFormat(options);
  const cwd = deps.cwd ?? process.cwd();
  const { runFleetReport } = await import("../fleet/run.js");
  const report = await runFleetReport(
    {
      targets,
      ...(options.reposFile ? { reposFile: options.reposFile } : {}),
      maxDepth: options.maxDepth ?? Number.POSITIVE_INFINITY,
      shard: options.shard ?? null,
      cwd,
      cache: options.cache,
      asOf: options.asOf ?? todayUtc(),
      deployTag: options.deployTag,
      deployBranch: options.deployBranch ?? null,
      stickinessDays: options.stickinessDays,
      waiverWarningDays: WAIVER_WARNING_DAYS,
    },
    {
      ...(options.jobs ? { concurrency: options.jobs } : {}),
      onRow: (row, done, total) => {
        if (process.stderr.isTTY) deps.out.info(`[${done}/${total}] ${row.id}`);
      },
    },
  );
  await emit(report, options, deps.out, deps.write ?? ((text) => void process.stdout.write(text)));
}

/** `paved fleet merge <report.json...>`. */
export async function fleetMergeCommand(files: string[], rawOptions: unknown, deps: FleetDependencies): Promise<void> {
  const options = parseOptions(fleetMergeOptionsSchema, rawOptions, "merge");
  chooseFormat(options);
  const cwd = deps.cwd ?? process.cwd();
  const { mergeReports, readMergeInput } = await import("../fleet/merge.js");
  const { PAVED_VERSION } = await import("../fleet/run.js");
  const inputs = files.map((f) => readMergeInput(f, cwd));
  const fallback: FleetOptions = {
    asOf: options.asOf ?? todayUtc(),
    deployTag: "v*",
    deployBranch: null,
    stickinessDays: 90,
    waiverWarningDays: WAIVER_WARNING_DAYS,
    shard: null,
  };
  const report = mergeReports(inputs, fallback, PAVED_VERSION, cwd, (m) => deps.out.warn(m));
  if (options.asOf && inputs.some((i) => i.kind === "fleet") && report.options.asOf !== options.asOf) {
    throw new UserError(`the reports were made as of ${report.options.asOf}`, {
      hint: "leave out --as-of when merging fleet reports (it is theirs), or regenerate them with it",
      fields: { flag: "--as-of", value: options.asOf },
    });
  }
  await emit(report, options, deps.out, deps.write ?? ((text) => void process.stdout.write(text)));
}

export const FLEET_UPGRADE_FORMATS = ["human", "json", "markdown"] as const;

export const fleetUpgradeOptionsSchema = commonOptionsSchema.extend({
  format: z.enum(FLEET_UPGRADE_FORMATS).optional(),
  reposFile: fleetReportOptionsSchema.shape.reposFile,
  maxDepth: fleetReportOptionsSchema.shape.maxDepth,
  shard: fleetReportOptionsSchema.shape.shard,
  to: z
    .string()
    .regex(/^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, "must be a version, e.g. --to 2.1.0")
    .optional(),
  branchPrefix: z
    .string()
    .regex(/^[A-Za-z0-9._/-]+$/, "must be a git branch prefix of letters, digits, '.', '_', '-' and '/', e.g. paved/")
    .refine((p) => !p.startsWith("-") && !p.includes("..") && !p.startsWith("/"), "must be a git branch prefix, e.g. paved/")
    .default("paved/"),
  inPlace: z.boolean().default(false),
  push: z.boolean().default(false),
  verify: z.boolean().default(false),
  trust: z.boolean().default(false),
  concurrency: wholeNumber("--concurrency 4")
    .refine((n) => n >= 1, "must be at least 1")
    .optional(),
  openPr: z.enum(["github", "gitlab"], { message: "must be github or gitlab" }).optional(),
});

/** `paved fleet upgrade [targets...]`. */
export async function fleetUpgradeCommand(targets: string[], rawOptions: unknown, deps: FleetDependencies): Promise<void> {
  const options = parseOptions(fleetUpgradeOptionsSchema, rawOptions, "upgrade");
  const format = chooseFormat(options as { json: boolean; format?: FleetFormat });
  const cwd = deps.cwd ?? process.cwd();
  const { runFleetUpgrade, failingRows } = await import("../fleet/upgrade.js");
  const { formatUpgradeReport } = await import("../fleet/format/upgrade.js");
  const rows = await runFleetUpgrade(
    {
      targets,
      ...(options.reposFile ? { reposFile: options.reposFile } : {}),
      maxDepth: options.maxDepth ?? Number.POSITIVE_INFINITY,
      shard: options.shard ?? null,
      cwd,
      ...(options.to ? { to: options.to } : {}),
      branchPrefix: options.branchPrefix,
      inPlace: options.inPlace,
      push: options.push,
      verify: options.verify,
      trust: options.trust,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.openPr ? { openPr: options.openPr } : {}),
    },
    (row) => {
      if (process.stderr.isTTY) deps.out.info(`${row.id}: ${row.status}`);
    },
  );
  const write = deps.write ?? ((text) => void process.stdout.write(text));
  write(formatUpgradeReport(rows, format as "human" | "json" | "markdown", { push: options.push }));
  const failing = failingRows(rows);
  if (failing.length > 0)
    throw new ProblemFound(`${failing.length} target${failing.length === 1 ? "" : "s"} need${failing.length === 1 ? "s" : ""} a person`);
}
