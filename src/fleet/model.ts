import { z } from "zod";

/**
 * The fleet report: one row per scanned target plus roll-ups computed from the rows alone, so a merge of
 * shard reports recomputes exactly what one run would. Every format (human, markdown, csv, html) reads
 * this object; schema/fleet-report.schema.json is generated from these schemas (test/fleet/schema.test.ts).
 */
export const FLEET_REPORT_VERSION = 1;

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date as YYYY-MM-DD");
const count = z.number().int().min(0);
const rate = z.number().min(0).max(1).nullable();

export const lagSchema = z
  .object({
    latest: z.string(),
    behind: z.boolean(),
    /** Semver distance to the latest release: major, else minor, else patch. */
    major: count,
    minor: count,
    patch: count,
    /** Releases newer than the service's version. */
    releasesBehind: count.nullable(),
    /** The oldest release the service does not have, and when it came out. */
    oldestMissing: z.string().nullable(),
    oldestMissingReleased: date.nullable(),
    /** Days from that release to the as-of date (libyear-style); null when its date is unknown. */
    days: count.nullable(),
    /** Lag counts (doctor's paved/version-lag fails) once the grace period after that release has passed. */
    pastGrace: z.boolean(),
    graceEnds: date.nullable(),
  })
  .strict();

export const doctorSummarySchema = z
  .object({
    result: z.enum(["pass", "warn", "fail"]),
    passed: count,
    errors: count,
    warnings: count,
    infos: count,
    skipped: count,
    waived: count,
    /** Checks with an unwaived error or warning. */
    failing: z.array(z.string()),
    /** Each check's outcome in this service: fail (error or warning), waived, skip, or pass. */
    checks: z.record(z.string(), z.enum(["pass", "fail", "waived", "skip"])),
  })
  .strict();

export const waiverRowSchema = z
  .object({ check: z.string(), reason: z.string(), until: date, expired: z.boolean(), expiresSoon: z.boolean() })
  .strict();

export const driftSchema = z
  .object({
    /** Managed files that differ from the template (doctor's paved/managed-drift). */
    managedFiles: count,
    /** Files a fresh render of the recorded version produces, and how many of them differ (`paved diff`). */
    renderedFiles: count.nullable(),
    changedFiles: count.nullable(),
    linesAdded: count.nullable(),
    linesRemoved: count.nullable(),
    /** changedFiles / renderedFiles. */
    changedRatio: rate,
  })
  .strict();

export const historySchema = z
  .object({
    /** The first commit that added .paved.yml. */
    created: date.nullable(),
    createdVersion: z.string().nullable(),
    upgrades: z.array(z.object({ date, from: z.string(), to: z.string() }).strict()),
    firstDeploy: date.nullable(),
    /** How the first deploy was found: the tag's name or the branch. */
    firstDeployRef: z.string().nullable(),
    daysToFirstDeploy: count.nullable(),
    /** On a supported version (not past the grace period) `stickinessDays` after creation; null until then. */
    sticky: z.boolean().nullable(),
  })
  .strict();

export const serviceRowSchema = z
  .object({
    /** The target's identity: a path relative to where paved ran, or a git URL without credentials. */
    id: z.string().min(1),
    status: z.enum(["paved", "not-paved", "unreadable"]),
    /** Why the target could not be read (unreadable rows). */
    reason: z.string().nullable(),
    name: z.string().nullable(),
    owner: z.string().nullable(),
    template: z.string().nullable(),
    source: z.string().nullable(),
    version: z.string().nullable(),
    /** Release date of every version of the template (null when the manifest records none). */
    releases: z.record(z.string(), date.nullable()),
    lag: lagSchema.nullable(),
    doctor: doctorSummarySchema.nullable(),
    waivers: z.array(waiverRowSchema),
    drift: driftSchema.nullable(),
    history: historySchema.nullable(),
  })
  .strict();

export const fleetOptionsSchema = z
  .object({
    asOf: date,
    deployTag: z.string(),
    deployBranch: z.string().nullable(),
    stickinessDays: count,
    waiverWarningDays: count,
    /** Set on a shard's report; a merged report has none. */
    shard: z
      .object({ index: z.number().int().min(1), count: z.number().int().min(1) })
      .strict()
      .nullable(),
  })
  .strict();

const distributionSchema = z.object({ count, median: z.number().nullable(), p90: z.number().nullable() }).strict();

export const fleetReportSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(FLEET_REPORT_VERSION),
    pavedVersion: z.string(),
    options: fleetOptionsSchema,
    summary: z
      .object({
        scanned: count,
        paved: count,
        notPaved: count,
        unreadable: count,
        /** paved / (paved + notPaved): unreadable targets are neither. */
        adoptionRate: rate,
        doctor: z.object({ pass: count, warn: count, fail: count, passRate: rate }).strict(),
        lag: z.object({ current: count, behind: count, withinGrace: count, pastGrace: count, totalDays: count }).strict(),
        drift: z.object({ services: count, managedFiles: count, changedFiles: count }).strict(),
        waivers: z.object({ total: count, expired: count, expiringSoon: count }).strict(),
        timeToFirstDeploy: distributionSchema,
        stickiness: z.object({ eligible: count, sticky: count, rate }).strict(),
      })
      .strict(),
    checks: z.array(z.object({ id: z.string(), pass: count, fail: count, waived: count, skip: count, passRate: rate }).strict()),
    versions: z.array(z.object({ template: z.string(), source: z.string(), version: z.string(), services: count }).strict()),
    releases: z.array(
      z
        .object({
          template: z.string(),
          source: z.string(),
          version: z.string(),
          released: date.nullable(),
          /** Services that took this release by an upgrade, and how many days after its release. */
          adopted: count,
          latencyDays: distributionSchema,
        })
        .strict(),
    ),
    owners: z.array(
      z
        .object({
          owner: z.string(),
          services: count,
          doctorPass: count,
          doctorFail: count,
          pastGrace: count,
          drifted: count,
          passRate: rate,
        })
        .strict(),
    ),
    services: z.array(serviceRowSchema),
  })
  .strict();

export type FleetReport = z.infer<typeof fleetReportSchema>;
export type FleetOptions = z.infer<typeof fleetOptionsSchema>;
export type ServiceRow = z.infer<typeof serviceRowSchema>;
export type Lag = z.infer<typeof lagSchema>;
export type DoctorSummary = z.infer<typeof doctorSummarySchema>;
export type History = z.infer<typeof historySchema>;
export type Distribution = z.infer<typeof distributionSchema>;
