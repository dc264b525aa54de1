import path from "node:path";
import jsYaml from "js-yaml";
import { z } from "zod";
import type { Answers } from "./answers/answers.js";
import { answerValueSchema } from "./answers/value.js";
import { UserError } from "./errors.js";
import { builtOnFirstUse, parseWith, semverVersion } from "./validation.js";
import { parseConfigText, readConfigText } from "./yaml-file.js";

export const SERVICE_FILE = ".paved.yml";

/** The schema of `.paved.yml`; {@link serviceFileSchema} builds it on first use. */
function buildServiceFileSchema() {
  const waiverSchema = z
    .object({
      check: z.string().min(1),
      reason: z.string().min(1),
      until: z.union([
        z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date as YYYY-MM-DD"),
        z.date().transform((d) => d.toISOString().slice(0, 10)),
      ]),
    })
    .strict();

  return z
    .object({
      template: z.string().min(1),
      source: z.string().min(1),
      version: semverVersion,
      answers: z.record(z.string(), answerValueSchema).default({}),
      /**
       * The files this application placed at the git repository's root (a service in a subdirectory; the manifest's
       * `rootFiles`), relative to that root: what another application may not write (docs/monorepo.md).
       */
      rootFiles: z.array(z.string().min(1)).optional(),
      waivers: z.array(waiverSchema).optional(),
      doctor: z
        .object({ gracePeriodDays: z.number().int().min(0).optional() })
        .strict()
        .optional(),
    })
    .strict();
}

/** The schema of a service's `.paved.yml`. */
export const serviceFileSchema = builtOnFirstUse(buildServiceFileSchema);

export type ServiceFile = z.infer<ReturnType<typeof buildServiceFileSchema>>;
export type Waiver = NonNullable<ServiceFile["waivers"]>[number];

const HEADER =
  "# Managed by paved (https://github.com/paved-dev/paved): do not edit by hand.\n# Change answers with `paved upgrade --set key=value`.\n";

export function serializeServiceFile(file: ServiceFile): string {
  const ordered: Record<string, unknown> = {
    template: file.template,
    source: file.source,
    version: file.version,
    answers: file.answers as Answers,
  };
  if (file.rootFiles?.length) ordered.rootFiles = file.rootFiles;
  if (file.waivers?.length) ordered.waivers = file.waivers;
  if (file.doctor) ordered.doctor = file.doctor;
  // The same YAML library that reads it back (src/yaml-file.ts): what is written always round-trips.
  return HEADER + jsYaml.dump(ordered, { lineWidth: -1, noRefs: true, schema: jsYaml.CORE_SCHEMA });
}

const SERVICE_FILE_FIX = `restore ${SERVICE_FILE} from git (\`git checkout -- ${SERVICE_FILE}\`); it is written by paved`;

/** Read and validate a service's `.paved.yml`; every problem is a UserError naming the field. */
export async function readServiceFile(dir: string): Promise<ServiceFile> {
  const text = readConfigText(path.join(dir, SERVICE_FILE), SERVICE_FILE, SERVICE_FILE_FIX);
  if (text === undefined) {
    throw new UserError(`${dir} is not a paved service: no ${SERVICE_FILE}`, {
      hint: "run this in a service created by `paved new` (or brought in with `paved adopt`), or pass its directory",
    });
  }
  return parseServiceFileText(text, SERVICE_FILE);
}

export function parseServiceFileText(text: string, shownAs: string): ServiceFile {
  const fix = SERVICE_FILE_FIX;
  return parseWith(serviceFileSchema(), parseConfigText(text, shownAs, fix) ?? {}, { file: shownAs, fix });
}
