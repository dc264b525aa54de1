import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { versionLagInfo } from "../doctor/checks/version-lag.js";
import { managedDriftInfo } from "../doctor/checks/files.js";
import { UserError } from "../errors.js";
import { parseWith } from "../validation.js";
import { lagOf, summarizeDoctor } from "./evaluate.js";
import { fleetReportSchema, type FleetOptions, type FleetReport, type ServiceRow } from "./model.js";
import { buildReport } from "./rollup.js";
import { daysBetween } from "./stats.js";

/** The fields of `paved doctor --format json` a fleet row is made of (other fields are ignored, so newer doctors still merge). */
const doctorArtifactSchema = z.object({
  dir: z.string().min(1),
  template: z.string().min(1),
  version: z.string().min(1),
  latest: z.string().nullable(),
  source: z.string().min(1),
  summary: z.object({
    passed: z.number().int(),
    errors: z.number().int(),
    warnings: z.number().int(),
    infos: z.number().int(),
    skipped: z.number().int(),
    waived: z.number().int(),
  }),
  findings: z.array(
    z.object({
      check: z.string().min(1),
      severity: z.enum(["error", "warning", "info"]),
      status: z.enum(["pass", "fail", "skip"]),
      waived: z.object({ reason: z.string(), until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) }).optional(),
    }),
  ),
  pavedVersion: z.string(),
});
type DoctorArtifact = z.infer<typeof doctorArtifactSchema>;

/** Reports are a few KiB a service; this is far above any real fleet and stops a runaway file. */
const MAX_INPUT_BYTES = 256 * 1024 * 1024;

export type MergeInput = { file: string; kind: "fleet"; report: FleetReport } | { file: string; kind: "doctor"; artifact: DoctorArtifact };

/** Parse one input at the edge: a fleet report (any shard) or a per-repository doctor JSON report. */
export function readMergeInput(file: string, cwd: string): MergeInput {
  const full = path.resolve(cwd, file);
  const fix = "pass reports written by `paved fleet report --format json` or `paved doctor --format json`";
  let text: string;
  try {
    if (statSync(full).size > MAX_INPUT_BYTES)
      throw new UserError(`is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB`, { hint: fix, fields: { file } });
    text = readFileSync(full, "utf8");
  } catch (error) {
    if (error instanceof UserError) throw error;
    const errno = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read: ${errno ?? (error as Error).message}`, {
      hint: "pass existing, readable report files",
      fields: { file, ...(errno ? { errno } : {}) },
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UserError(`is not JSON (${(error as Error).message})`, { hint: fix, fields: { file } });
  }
  if (typeof data === "object" && data !== null && "services" in data) {
    return {
      file,
      kind: "fleet",
      report: parseWith(fleetReportSchema, data, {
        file,
        fix: "regenerate it with `paved fleet report --format json` (same paved version)",
      }),
    };
  }
  if (typeof data === "object" && data !== null && "findings" in data) {
    return {
      file,
      kind: "doctor",
      artifact: parseWith(doctorArtifactSchema, data, { file, fix: "regenerate it with `paved doctor --format json --output <file>`" }),
    };
  }
  throw new UserError('is neither a fleet report (no "services") nor a doctor report (no "findings")', { hint: fix, fields: { file } });
}

function artifactId(dir: string, cwd: string): string {
  const rel = path.relative(cwd, dir);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : dir;
}

/** A row from a doctor artifact: what doctor knows (no history, no full drift, no release dates). */
export function rowOfDoctorArtifact(artifact: DoctorArtifact, options: FleetOptions, cwd: string): ServiceRow {
  const lag = lagOf(artifact.version, {}, artifact.latest ?? undefined, options.asOf, 0);
  const lagOutcome = summarizeDoctor(artifact).checks[versionLagInfo.id];
  const waivers = new Map<string, ServiceRow["waivers"][number]>();
  for (const f of artifact.findings) {
    if (!f.waived) continue;
    const until = f.waived.until;
    const expiresSoon = daysBetween(options.asOf, until) <= options.waiverWarningDays;
    waivers.set(`${f.check}\0${until}`, { check: f.check, reason: f.waived.reason, until, expired: false, expiresSoon });
  }
  return {
    id: artifactId(artifact.dir, cwd),
    status: "paved",
    reason: null,
    name: path.basename(artifact.dir),
    owner: null,
    template: artifact.template,
    source: artifact.source,
    version: artifact.version,
    releases: {},
    // Doctor decided whether the grace period is over; its dates are not in the artifact.
    lag: lag && {
      ...lag,
      pastGrace: lag.behind && (lagOutcome === "fail" || lagOutcome === "waived"),
      oldestMissing: null,
      graceEnds: null,
    },
    doctor: summarizeDoctor(artifact),
    waivers: [...waivers.values()],
    drift: {
      managedFiles: artifact.findings.filter((f) => f.check === managedDriftInfo.id && f.status === "fail").length,
      renderedFiles: null,
      changedFiles: null,
      linesAdded: null,
      linesRemoved: null,
      changedRatio: null,
    },
    history: null,
  };
}

const COMPARED: (keyof FleetOptions)[] = ["asOf", "deployTag", "deployBranch", "stickinessDays", "waiverWarningDays"];

/**
 * One report from many: fleet shards and doctor artifacts. Inputs made with different settings, or naming
 * one repository twice, are refused (exit 2): their numbers would not add up.
 */
export function mergeReports(
  inputs: readonly MergeInput[],
  fallback: FleetOptions,
  pavedVersion: string,
  cwd: string,
  warn: (message: string) => void,
): FleetReport {
  const fleets = inputs.filter((i): i is Extract<MergeInput, { kind: "fleet" }> => i.kind === "fleet");
  const [first] = fleets;
  const options: FleetOptions = first ? { ...first.report.options, shard: null } : { ...fallback, shard: null };
  if (first) {
    for (const input of fleets) {
      for (const key of COMPARED) {
        if (input.report.options[key] !== options[key]) {
          throw new UserError(
            `options.${key} is ${JSON.stringify(input.report.options[key])} but ${first.file} has ${JSON.stringify(options[key])}`,
            {
              hint: "merge reports made with the same flags (--as-of, --deploy-tag, --deploy-branch, --stickiness-days)",
              fields: { file: input.file },
            },
          );
        }
      }
    }
  }
  const shards = fleets.map((f) => f.report.options.shard).filter((s) => s !== null);
  const counts = new Set(shards.map((s) => s.count));
  if (counts.size > 1)
    throw new UserError(`shard counts differ (${[...counts].join(", ")}): these reports come from different splits`, {
      hint: "merge the shards of one run (the same --shard I/N count)",
    });
  // The one count (they all agree), or none when no input is a shard.
  const [count] = counts;
  if (count !== undefined) {
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !shards.some((s) => s.index === i));
    if (missing.length)
      warn(
        `shard${missing.length === 1 ? "" : "s"} ${missing.map((i) => `${i}/${count}`).join(", ")} missing: the merged report covers part of the fleet`,
      );
  }
  const rows = new Map<string, { row: ServiceRow; file: string }>();
  const add = (row: ServiceRow, file: string) => {
    const seen = rows.get(row.id);
    if (seen)
      throw new UserError(`${row.id} is also in ${seen.file}`, {
        hint: "merge each repository once (each shard, or each service's doctor report)",
        fields: { file },
      });
    rows.set(row.id, { row, file });
  };
  for (const input of inputs) {
    if (input.kind === "fleet") for (const row of input.report.services) add(row, input.file);
    else add(rowOfDoctorArtifact(input.artifact, options, cwd), input.file);
  }
  return buildReport(
    [...rows.values()].map((r) => r.row),
    options,
    pavedVersion,
  );
}
