import { readFileSync } from "node:fs";
import path from "node:path";
import { pathInRepository } from "../applications.js";
import { monotonicMs } from "../clock.js";
import { UserError } from "../errors.js";
import { isDirectory } from "../fs/paths.js";
import { parseServiceFileText, SERVICE_FILE } from "../service-file.js";
import { latestRelease } from "../templates/latest.js";
import { displayPath } from "../templates/source.js";
import { ciWorkflowCheck } from "./checks/ci.js";
import { conflictsCheck } from "./checks/conflicts.js";
import { dataChecksOf } from "./checks/data-checks.js";
import { managedDriftCheck, requiredFilesCheck } from "./checks/files.js";
import { manifestCheck } from "./checks/manifest.js";
import { alertRulesCheck, dashboardCheck } from "./checks/monitoring.js";
import { ownershipCheck } from "./checks/ownership.js";
import { secretsCheck } from "./checks/secrets.js";
import { DEFAULT_GRACE_DAYS, versionLagCheck } from "./checks/version-lag.js";
import type { Check, DoctorContext } from "./context.js";
import { applyFixes, planFixes } from "./fix.js";
import { summarize, type CheckInfo, type DoctorReport, type Finding, type FixAction } from "./model.js";
import { RepoFiles } from "./repo-files.js";
import { loadTemplateContext } from "./template-context.js";
import { applyWaivers, waiversInfo } from "./waivers.js";

export interface DoctorOptions {
  dir: string;
  /** The day version lag and waivers are judged as of (YYYY-MM-DD). The engine never reads the clock. */
  asOf: string;
  /** --grace-days; wins over `doctor.gracePeriodDays` in .paved.yml. */
  graceDays?: number;
  /** --source / PAVED_SOURCE; wins over the source recorded in .paved.yml. */
  source?: string;
  strict?: boolean;
  fix?: boolean;
  /** The service's path from the repository root, when the caller found it already (else asked of git). */
  path?: string;
}

/** The built-in checks, in report order; the template's data checks follow them. */
export const BUILTIN_CHECKS: readonly Check[] = [
  manifestCheck,
  versionLagCheck,
  requiredFilesCheck,
  managedDriftCheck,
  conflictsCheck,
  ciWorkflowCheck,
  alertRulesCheck,
  dashboardCheck,
  ownershipCheck,
  secretsCheck,
];

const PAVED_VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

function assertDirectory(dir: string): void {
  if (!isDirectory(dir))
    throw new UserError("no such directory", {
      hint: "pass the directory of a service created by `paved new`",
      fields: { file: displayPath(dir) },
    });
}

async function buildContext(dir: string, options: DoctorOptions): Promise<{ ctx: DoctorContext; serviceText: string }> {
  const files = new RepoFiles(dir);
  const serviceText = files.text(SERVICE_FILE);
  if (serviceText === undefined) {
    const reason = files.exists(SERVICE_FILE) ? `${SERVICE_FILE} is not a readable text file` : `no ${SERVICE_FILE}`;
    throw new UserError(`${displayPath(dir) || "."} is not a paved service: ${reason}`, {
      hint: "run doctor in a repository created by `paved new` (or pass its directory: `paved doctor <dir>`)",
    });
  }
  const service = parseServiceFileText(serviceText, SERVICE_FILE);
  const loaded = await loadTemplateContext(service, dir, options.source);
  const graceDays = options.graceDays ?? service.doctor?.gracePeriodDays ?? DEFAULT_GRACE_DAYS;
  const ctx: DoctorContext = {
    dir,
    files,
    service,
    asOf: options.asOf,
    graceDays,
    ...(loaded.ok
      ? { template: loaded.template }
      : {
          templateProblem: {
            message: loaded.message,
            ...(loaded.fix ? { fix: loaded.fix } : {}),
            ...(loaded.answers ? { answers: true as const } : {}),
            ...(loaded.at ? { at: loaded.at } : {}),
          },
        }),
  };
  return { ctx, serviceText };
}

/** Run every check over one shared read of the repository and return the report (no output, no exit). */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const started = monotonicMs();
  const dir = path.resolve(options.dir);
  assertDirectory(dir);
  const { ctx, serviceText } = await buildContext(dir, options);

  let fixed: FixAction[] = [];
  if (options.fix) {
    // Restoring from a render needs answers that passed validation; a refused one is the user's to correct.
    if (ctx.templateProblem?.answers) {
      const { message, fix, at } = ctx.templateProblem;
      throw new UserError(message, {
        ...(fix ? { hint: fix } : {}),
        fields: { flag: "--fix", ...(at?.variable === undefined ? {} : { variable: at.variable }) },
      });
    }
    fixed = applyFixes(dir, planFixes(ctx));
    for (const f of fixed) ctx.files.invalidate(f.path);
  }

  const checks: Check[] = [...BUILTIN_CHECKS, ...(ctx.template ? dataChecksOf(ctx.template.version.manifest.checks) : [])];
  const setupMs = Math.round(monotonicMs() - started);
  const findings: Finding[] = [];
  const checksMs: Record<string, number> = {};
  for (const check of checks) {
    const before = monotonicMs();
    findings.push(...(await check.run(ctx)));
    checksMs[check.info.id] = Math.round((monotonicMs() - before) * 10) / 10;
  }
  const infos: CheckInfo[] = [...checks.map((c) => c.info), waiversInfo];
  const waived = applyWaivers(
    findings,
    ctx.service.waivers ?? [],
    infos.map((i) => i.id),
    options.asOf,
    serviceText,
  );
  // Checks speak of the service's files; reports speak from the repository root (CI annotates root-relative paths).
  const servicePath = options.path ?? (await pathInRepository(dir));
  const located = waived.map((f) => (f.file === undefined ? f : { ...f, file: fromRepositoryRoot(servicePath, f.file) }));

  return {
    dir,
    path: servicePath,
    template: ctx.service.template,
    version: ctx.service.version,
    source: ctx.template?.source.id ?? ctx.service.source,
    ...(ctx.template ? { latest: latestRelease(ctx.template.versions) ?? ctx.service.version } : {}),
    checks: infos,
    findings: located,
    summary: summarize(located),
    strict: options.strict ?? false,
    asOf: options.asOf,
    fixed,
    durationMs: Math.round(monotonicMs() - started),
    timings: { setupMs, checksMs },
    pavedVersion: PAVED_VERSION,
  };
}

/** A service-relative POSIX path as seen from the repository root. */
export function fromRepositoryRoot(servicePath: string, file: string): string {
  return servicePath === "" ? file : `${servicePath}/${file}`;
}
