import { z } from "zod";

/**
 * Backstage Tech Insights facts from `paved fleet report --format json`: one fact set per paved service, for
 * scorecards such as "on the latest template version" or "paved doctor passes". This needs no Tech Insights
 * package: `pavedFactRetriever` has the shape of a FactRetriever (@backstage-community/plugin-tech-insights-node),
 * so a backend module adds it with `techInsightsFactRetrieversExtensionPoint` (docs/backstage.md).
 */

/** The fields of a fleet report (schema/fleet-report.schema.json, version 1) the facts are made from. */
const fleetRowSchema = z.object({
  status: z.enum(["paved", "not-paved", "unreadable"]),
  name: z.string().nullable(),
  template: z.string().nullable(),
  version: z.string().nullable(),
  lag: z
    .object({ latest: z.string(), behind: z.boolean(), releasesBehind: z.number().int().nullable(), pastGrace: z.boolean() })
    .nullable(),
  doctor: z
    .object({
      result: z.enum(["pass", "warn", "fail"]),
      errors: z.number().int(),
      warnings: z.number().int(),
      failing: z.array(z.string()),
    })
    .nullable(),
  waivers: z.array(z.object({ expired: z.boolean() })),
  drift: z.object({ managedFiles: z.number().int() }).nullable(),
});
const fleetReportSchema = z.object({ version: z.literal(1), options: z.object({ asOf: z.string() }), services: z.array(fleetRowSchema) });
export type FleetRow = z.infer<typeof fleetRowSchema>;

/** Each fact's type and meaning, as a FactRetriever's `schema`. */
export const pavedFactSchema = {
  pavedTemplate: { type: "string", description: "The paved template the service was created from (.paved.yml)" },
  pavedVersion: { type: "string", description: "The template version the service is on" },
  pavedLatestVersion: { type: "string", description: "The newest release of that template" },
  versionsBehind: { type: "integer", description: "Releases of the template newer than the service's version" },
  versionLagPastGrace: { type: "boolean", description: "Behind for longer than the grace period: paved doctor's paved/version-lag fails" },
  doctorResult: { type: "string", description: "paved doctor's result: pass, warn or fail" },
  doctorFailed: { type: "boolean", description: "paved doctor found an unwaived error" },
  doctorErrors: { type: "integer", description: "Unwaived doctor errors" },
  doctorWarnings: { type: "integer", description: "Unwaived doctor warnings" },
  failingChecks: { type: "set", description: "Ids of the doctor checks that fail (unwaived errors and warnings)" },
  managedFilesDrifted: { type: "integer", description: "Files the platform owns that differ from the template" },
  expiredWaivers: { type: "integer", description: "Waivers in .paved.yml past their until date" },
} as const;

export interface EntityRef {
  namespace: string;
  kind: string;
  name: string;
}

export interface PavedFacts {
  entity: EntityRef;
  facts: Record<keyof typeof pavedFactSchema, string | number | boolean | string[]>;
}

/** The catalog entity of a fleet row: the service template's catalog-info.yaml names its Component after the `name` answer. */
export function defaultEntityRef(row: FleetRow): EntityRef | undefined {
  return row.name ? { namespace: "default", kind: "component", name: row.name } : undefined;
}

/** Facts for every paved, evaluated service in a fleet report; rows that are not paved, or have no entity, give none. */
export function fleetReportFacts(report: unknown, entityRef: (row: FleetRow) => EntityRef | undefined = defaultEntityRef): PavedFacts[] {
  const parsed = fleetReportSchema.safeParse(report);
  if (!parsed.success) {
    // zod reports at least one issue for a failed parse; the first says where.
    const where = parsed.error.issues
      .slice(0, 1)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("");
    throw new Error(`not a paved fleet report (paved fleet report --format json, version 1): ${where}`);
  }
  const out: PavedFacts[] = [];
  for (const row of parsed.data.services) {
    const entity = row.status === "paved" ? entityRef(row) : undefined;
    if (!entity || !row.template || !row.version || !row.doctor) continue;
    out.push({
      entity,
      facts: {
        pavedTemplate: row.template,
        pavedVersion: row.version,
        pavedLatestVersion: row.lag?.latest ?? row.version,
        versionsBehind: row.lag?.releasesBehind ?? 0,
        versionLagPastGrace: row.lag?.pastGrace ?? false,
        doctorResult: row.doctor.result,
        doctorFailed: row.doctor.result === "fail",
        doctorErrors: row.doctor.errors,
        doctorWarnings: row.doctor.warnings,
        failingChecks: row.doctor.failing,
        managedFilesDrifted: row.drift?.managedFiles ?? 0,
        expiredWaivers: row.waivers.filter((w) => w.expired).length,
      },
    });
  }
  return out;
}

export interface PavedFactRetrieverOptions {
  /** Reads the latest fleet report (parsed JSON): a CI artifact, an object store, a file. */
  readReport: () => Promise<unknown>;
  entityRef?: (row: FleetRow) => EntityRef;
}

/** A Tech Insights FactRetriever (structurally): id, version, entity filter, fact schema and handler. */
export function pavedFactRetriever(options: PavedFactRetrieverOptions) {
  return {
    id: "paved-fleet-facts",
    version: "0.1.0",
    title: "paved",
    description: "Template, version lag and doctor results of services created with paved, from paved fleet report",
    entityFilter: [{ kind: "component" }],
    schema: pavedFactSchema,
    handler: async () => fleetReportFacts(await options.readReport(), options.entityRef),
  };
}
