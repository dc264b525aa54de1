import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { looksLikeUrl } from "../config.js";
import { DEFAULT_GRACE_DAYS, findVersionLag } from "../doctor/checks/version-lag.js";
import { managedDriftInfo } from "../doctor/checks/files.js";
import { outcomeOf, type DoctorReport, type Finding, type Summary } from "../doctor/model.js";
import { UserError } from "../errors.js";
import { parseServiceFileText, SERVICE_FILE, type ServiceFile } from "../service-file.js";
import { openRecordedSource, type TemplateSource } from "../templates/source.js";
import { cloneOrFetch } from "./clone.js";
import { readHistory } from "./history.js";
import type { DoctorSummary, Lag, ServiceRow } from "./model.js";
import { daysBetween } from "./stats.js";
import type { Target } from "./targets.js";

/** What every row of one report is evaluated with (a plain engine option set; workers receive a copy). */
export interface EvaluateOptions {
  asOf: string;
  deployTag: string;
  deployBranch: string | null;
  stickinessDays: number;
  waiverWarningDays: number;
}

function emptyRow(id: string, status: ServiceRow["status"], reason: string | null): ServiceRow {
  return {
    id,
    status,
    reason,
    name: null,
    owner: null,
    template: null,
    source: null,
    version: null,
    releases: {},
    lag: null,
    doctor: null,
    waivers: [],
    drift: null,
    history: null,
  };
}

/** One outcome per check: a failing (unwaived error or warning) finding wins, then waived, then pass; skip only when all skipped. */
export function summarizeDoctor(report: {
  findings: readonly Pick<Finding, "check" | "severity" | "status" | "waived">[];
  summary: Summary;
}): DoctorSummary {
  const checks: DoctorSummary["checks"] = {};
  const rank = { skip: 0, pass: 1, waived: 2, fail: 3 } as const;
  for (const finding of report.findings) {
    const outcome = outcomeOf(finding as Finding);
    const mapped = outcome === "error" || outcome === "warning" ? "fail" : outcome === "info" ? "pass" : outcome;
    const previous = checks[finding.check];
    if (previous === undefined || rank[mapped] > rank[previous]) checks[finding.check] = mapped;
  }
  const { passed, errors, warnings, infos, skipped, waived } = report.summary;
  return {
    result: errors > 0 ? "fail" : warnings > 0 ? "warn" : "pass",
    passed,
    errors,
    warnings,
    infos,
    skipped,
    waived,
    failing: Object.keys(checks)
      .filter((id) => checks[id] === "fail")
      .sort(),
    checks: Object.fromEntries(Object.entries(checks).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

/** Semver distance to the latest release (major, else minor, else patch), and the libyear-style days. */
export function lagOf(
  current: string,
  releases: Record<string, string | null>,
  latestHint: string | undefined,
  asOf: string,
  graceDays: number,
): Lag | null {
  const versions = Object.keys(releases);
  // With no release known, the latest version (the hint) is the only one to compare with.
  const candidates = versions.length ? versions : latestHint ? [latestHint] : [];
  if (!semver.valid(current) || candidates.length === 0) return null;
  const lag = findVersionLag({
    current,
    versions: candidates,
    releasedOf: (v) => releases[v] ?? undefined,
    asOf,
    graceDays,
  });
  const latest = lag.latest;
  const behind = lag.behind;
  const major = behind ? semver.major(latest) - semver.major(current) : 0;
  const minor = behind && major === 0 ? semver.minor(latest) - semver.minor(current) : 0;
  const patch = behind && major === 0 && minor === 0 ? semver.patch(latest) - semver.patch(current) : 0;
  const released = lag.behind ? (lag.released ?? null) : null;
  return {
    latest,
    behind,
    major,
    minor,
    patch,
    releasesBehind: versions.length ? versions.filter((v) => semver.gt(v, current)).length : null,
    oldestMissing: lag.behind ? lag.oldestUnapplied : null,
    oldestMissingReleased: released,
    days: released ? Math.max(0, daysBetween(released, asOf)) : null,
    pastGrace: lag.behind && !lag.withinGrace,
    graceEnds: lag.behind ? (lag.deadline ?? null) : null,
  };
}

const sources = new Map<string, Promise<TemplateSource>>();

function sourceOf(dir: string, service: ServiceFile): Promise<TemplateSource> {
  const key = service.source === "builtin" || looksLikeUrl(service.source) ? service.source : path.resolve(dir, service.source);
  let source = sources.get(key);
  if (!source) {
    source = openRecordedSource(dir, service.source, { warn: () => undefined });
    // A source that cannot be opened is retried by the next service rather than remembered as broken.
    source.catch(() => sources.delete(key));
    sources.set(key, source);
  }
  return source;
}

/** Release dates of a template's releases; one source (and its loaded manifests) shared by every service in this process. */
async function releasesOf(dir: string, service: ServiceFile): Promise<Record<string, string | null>> {
  try {
    const opened = await sourceOf(dir, service);
    const versions = (await opened.listAllVersions(service.template)).filter((v) => semver.prerelease(v) === null);
    const out: Record<string, string | null> = {};
    for (const v of versions) out[v] = (await opened.loadVersion(service.template, v)).manifest.released ?? null;
    return out;
  } catch (error) {
    if (error instanceof UserError) return {};
    throw error;
  }
}

function stringAnswer(service: ServiceFile, key: string): string | null {
  const value = service.answers[key];
  return typeof value === "string" && value !== "" ? value : null;
}

/** The directory to evaluate (cloning or fetching a git URL), or the row that says why there is none. */
async function resolveTarget(target: Target): Promise<{ dir: string } | { row: ServiceRow }> {
  if (target.kind === "missing") return { row: emptyRow(target.id, "unreadable", target.reason) };
  if (target.kind === "local") return { dir: target.dir };
  const clone = await cloneOrFetch(target.url);
  return clone.ok ? { dir: clone.dir } : { row: emptyRow(target.id, "unreadable", clone.reason) };
}

/** A target ready to evaluate (a directory, and its cache key when caching), or its finished row. */
export type Prepared = { row: ServiceRow } | { id: string; dir: string; key?: string };

/**
 * Resolve a target and look its row up in the cache: cheap (a few git calls), so it runs before any worker
 * starts, and a fully cached fleet never starts one. With `cache`, a repository whose HEAD, refs, working
 * tree and template versions are unchanged since an earlier run with the same settings gets that run's row.
 */
export async function prepareTarget(target: Target, options: EvaluateOptions, cache?: { pavedVersion: string }): Promise<Prepared> {
  const resolved = await resolveTarget(target);
  if ("row" in resolved) return resolved;
  if (!cache) return { id: target.id, dir: resolved.dir };
  const { cachedRow, cacheKey } = await import("./cache.js");
  const key = await cacheKey(target.id, resolved.dir, options, cache.pavedVersion, versionsOf);
  const hit = key ? await cachedRow(key) : undefined;
  if (hit) return { row: hit };
  return { id: target.id, dir: resolved.dir, ...(key ? { key } : {}) };
}

/** Everything the report says about one repository. Never throws for the repository's own problems: they are the row's reason. */
export async function evaluatePrepared(prepared: Prepared, options: EvaluateOptions): Promise<ServiceRow> {
  if ("row" in prepared) return prepared.row;
  const row = await evaluateDirectory(prepared.id, prepared.dir, options);
  if (prepared.key) await (await import("./cache.js")).storeRow(prepared.key, row);
  return row;
}

/** Every version a service's template source has (one source per process): part of the cache key. */
async function versionsOf(dir: string, service: ServiceFile): Promise<string[]> {
  try {
    return await (await sourceOf(dir, service)).listAllVersions(service.template);
  } catch (error) {
    if (error instanceof UserError) return [];
    throw error;
  }
}

async function evaluateDirectory(id: string, dir: string, options: EvaluateOptions): Promise<ServiceRow> {
  const serviceFile = path.join(dir, SERVICE_FILE);
  if (!existsSync(serviceFile)) return emptyRow(id, "not-paved", null);

  let service: ServiceFile;
  try {
    service = parseServiceFileText(readFileSync(serviceFile, "utf8"), SERVICE_FILE);
  } catch (error) {
    if (error instanceof UserError) return emptyRow(id, "unreadable", error.message);
    if ((error as NodeJS.ErrnoException).code)
      return emptyRow(id, "unreadable", `${SERVICE_FILE}: cannot read: ${(error as NodeJS.ErrnoException).code}`);
    throw error;
  }
  const graceDays = service.doctor?.gracePeriodDays ?? DEFAULT_GRACE_DAYS;
  const releases = await releasesOf(dir, service);
  // History is git processes: it runs while doctor and the drift render use this thread.
  const historyRead = readHistory(dir, { ...options, graceDays, releases });
  // Loaded here, not at the top: the main thread prepares targets and reads the cache without the engine
  // (a smaller process forks git faster), and only workers evaluate.
  const [{ runDoctor }, { serviceDrift }] = await Promise.all([import("../doctor/run.js"), import("../upgrade/drift.js")]);
  let report: DoctorReport;
  try {
    report = await runDoctor({ dir, asOf: options.asOf });
  } catch (error) {
    await historyRead.catch(() => undefined);
    if (error instanceof UserError) return emptyRow(id, "unreadable", error.message);
    throw error;
  }
  const doctor = summarizeDoctor(report);
  const managedFiles = report.findings.filter((f) => f.check === managedDriftInfo.id && f.status === "fail").length;
  const drift = await serviceDrift(dir, undefined).then(
    (d) => ({
      changedFiles: d.drift.length,
      renderedFiles: d.rendered,
      linesAdded: d.drift.reduce((n, f) => n + f.added, 0),
      linesRemoved: d.drift.reduce((n, f) => n + f.removed, 0),
    }),
    (error: unknown) => {
      if (error instanceof UserError) return undefined;
      throw error;
    },
  );
  const history = await historyRead;

  return {
    id,
    status: "paved",
    reason: null,
    name: stringAnswer(service, "name") ?? path.basename(dir),
    owner: stringAnswer(service, "owner"),
    template: service.template,
    source: report.source,
    version: service.version,
    releases,
    lag: lagOf(service.version, releases, report.latest, options.asOf, graceDays),
    doctor,
    waivers: (service.waivers ?? []).map((w) => {
      const expired = options.asOf > w.until;
      return {
        check: w.check,
        reason: w.reason,
        until: w.until,
        expired,
        expiresSoon: !expired && daysBetween(options.asOf, w.until) <= options.waiverWarningDays,
      };
    }),
    drift: {
      managedFiles,
      renderedFiles: drift?.renderedFiles ?? null,
      changedFiles: drift?.changedFiles ?? null,
      linesAdded: drift?.linesAdded ?? null,
      linesRemoved: drift?.linesRemoved ?? null,
      changedRatio: drift && drift.renderedFiles > 0 ? Math.round((drift.changedFiles / drift.renderedFiles) * 10_000) / 10_000 : null,
    },
    history: history ?? null,
  };
}
