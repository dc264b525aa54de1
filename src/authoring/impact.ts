/**
 * What a template release does to the fleet, before it ships: for every service on the template, the plan
 * `paved upgrade --to <version> --dry-run` makes (upgrade's own resolvePath answer chain and computeUpgrade
 * with throughConflicts, over the working tree it reads), computed in memory; no repository is written.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { UserError } from "../errors.js";
import { cloneOrFetch } from "../fleet/clone.js";
import { mapLimited } from "../fleet/pool.js";
import { selectTargets, type Shard, type Target, type TargetSelection } from "../fleet/targets.js";
import { readServiceFile, SERVICE_FILE, type ServiceFile } from "../service-file.js";
import { latestRelease, latestVersion } from "../templates/latest.js";
import type { TemplateSource } from "../templates/source.js";
import { changeCount, treeChanges } from "../upgrade/apply.js";
import { isConflicted } from "../upgrade/plan.js";
import { keptAfter } from "../upgrade/kept-files.js";
import type { MigrationRecord } from "../upgrade/migrate.js";
import { computeUpgrade } from "../upgrade/steps.js";
import { openRepository, readWorkingTree } from "../git/worktree.js";
import type { FileTree } from "../tree.js";
import { openTemplateVersions } from "./release-preview.js";

export type ImpactStatus = "clean" | "conflicts" | "current" | "blocked" | "unreadable" | "other-template" | "not-paved";

export interface ImpactConflict {
  path: string;
  kind: string;
  regions: number;
  /** The step (`1.0.0->1.1.0`) whose merge conflicts. */
  step: string;
}

export interface ImpactRow {
  id: string;
  status: ImpactStatus;
  /** Why a row is blocked, unreadable, skipped or current without being on --to. */
  reason: string | null;
  name: string | null;
  template: string | null;
  from: string | null;
  steps: string[];
  /** Files that would change (as `paved upgrade --dry-run` counts them). */
  changes: number;
  conflicts: ImpactConflict[];
  /** The version a real upgrade stops at for a person (its first conflicting step), null when it runs through. */
  stopsAt: string | null;
  migrations: MigrationRecord[];
  kept: { path: string; referencedBy: string[] }[];
}

export interface ImpactTotals {
  services: number;
  clean: number;
  conflicts: number;
  current: number;
  blocked: number;
  unreadable: number;
  otherTemplate: number;
  notPaved: number;
  /** Services with kept-but-deleted files (a person must move their edits). */
  withKept: number;
}

export interface ImpactReport {
  template: string;
  source: string;
  to: string;
  shard: Shard | null;
  totals: ImpactTotals;
  /** Each file that conflicts somewhere, with how many services and regions: what the release should reconsider. */
  conflictFiles: { path: string; services: number; regions: number }[];
  services: ImpactRow[];
}

export interface ImpactInput extends TargetSelection {
  /** The template's folder of versions, a source holding one template, or a template git repository. */
  templateDir: string;
  /** Default: the newest release. */
  to?: string;
  concurrency?: number;
  onRow?: (row: ImpactRow, done: number, total: number) => void;
}

/** Services are planned this many at a time: reading a tree is git and file I/O, planning is CPU in this thread. */
const DEFAULT_CONCURRENCY = 8;

function emptyRow(id: string, status: ImpactStatus, reason: string | null, service?: ServiceFile): ImpactRow {
  const name = service?.answers.name;
  return {
    id,
    status,
    reason,
    name: typeof name === "string" ? name : null,
    template: service?.template ?? null,
    from: service?.version ?? null,
    steps: [],
    changes: 0,
    conflicts: [],
    stopsAt: null,
    migrations: [],
    kept: [],
  };
}

interface Plan {
  source: TemplateSource;
  template: string;
  versions: string[];
  to: string;
}

/** The folder name upgrade would run in: a git URL's repository name (its clone's folder is a hash). */
function dirNameOf(target: Target, dir: string): string {
  if (target.kind !== "git") return path.basename(dir);
  return path.posix.basename(target.id.replace(/\/+$/, "")).replace(/\.git$/, "") || path.basename(dir);
}

async function resolveDir(target: Target): Promise<{ dir: string } | { reason: string }> {
  if (target.kind === "missing") return { reason: target.reason };
  if (target.kind === "local") return { dir: target.dir };
  const clone = await cloneOrFetch(target.url);
  return clone.ok ? { dir: clone.dir } : { reason: clone.reason };
}

/** One service's impact row. A repository's own problem is its row's reason, never a failed run. */
export async function serviceImpact(target: Target, plan: Plan): Promise<ImpactRow> {
  const resolved = await resolveDir(target);
  if ("reason" in resolved) return emptyRow(target.id, "unreadable", resolved.reason);
  const { dir } = resolved;
  if (!existsSync(path.join(dir, SERVICE_FILE))) return emptyRow(target.id, "not-paved", null);
  let service: ServiceFile;
  try {
    service = await readServiceFile(dir);
  } catch (error) {
    if (error instanceof UserError) return emptyRow(target.id, "unreadable", error.message);
    throw error;
  }
  if (service.template !== plan.template) return emptyRow(target.id, "other-template", `on ${service.template}`, service);
  if (!plan.versions.includes(service.version)) {
    return emptyRow(
      target.id,
      "blocked",
      `${SERVICE_FILE} records ${service.template} ${service.version}, which the template source does not have`,
      service,
    );
  }
  if (service.version === plan.to) return emptyRow(target.id, "current", null, service);
  if (semver.gt(service.version, plan.to)) return emptyRow(target.id, "current", `on ${service.version}, newer than ${plan.to}`, service);

  let ours: FileTree;
  try {
    ours = await readWorkingTree(await openRepository(dir));
  } catch (error) {
    if (error instanceof UserError) return emptyRow(target.id, "unreadable", error.message, service);
    throw error;
  }
  const dirName = dirNameOf(target, dir);
  try {
    const { resolvePath } = await import("../upgrade/chain.js");
    // As `paved upgrade --to <to> --dry-run --yes` plans it: no --set, no prompt, through every step.
    const chain = await resolvePath(plan.source, plan.versions, service, plan.to, new Map(), dirName, undefined);
    const computed = await computeUpgrade({ template: service.template, dirName, ours, path: chain, throughConflicts: true });
    const conflicts = computed.steps.flatMap((s) =>
      s.actions
        .filter(isConflicted)
        .map((a) => ({ path: a.path, kind: a.conflict.kind, regions: a.conflict.regions ?? 0, step: `${s.from}->${s.to}` })),
    );
    const stopsAt = computed.steps.find((s) => s.actions.some((a) => a.conflict))?.to ?? null;
    return {
      ...emptyRow(target.id, conflicts.length > 0 ? "conflicts" : "clean", null, service),
      steps: computed.steps.map((s) => s.to),
      changes: changeCount(treeChanges(ours, computed.tree, SERVICE_FILE)),
      conflicts,
      stopsAt,
      migrations: computed.steps.flatMap((s) => s.migrations),
      kept: keptAfter(computed).map((k) => ({ path: k.path, referencedBy: k.referencedBy })),
    };
  } catch (error) {
    if (error instanceof UserError) return emptyRow(target.id, "blocked", error.message, service);
    throw error;
  }
}

export function totalsOf(rows: readonly ImpactRow[]): ImpactTotals {
  const count = (s: ImpactStatus) => rows.filter((r) => r.status === s).length;
  return {
    services: rows.length,
    clean: count("clean"),
    conflicts: count("conflicts"),
    current: count("current"),
    blocked: count("blocked"),
    unreadable: count("unreadable"),
    otherTemplate: count("other-template"),
    notPaved: count("not-paved"),
    withKept: rows.filter((r) => r.kept.length > 0).length,
  };
}

function conflictFilesOf(rows: readonly ImpactRow[]): ImpactReport["conflictFiles"] {
  const byPath = new Map<string, { services: Set<string>; regions: number }>();
  for (const row of rows) {
    for (const c of row.conflicts) {
      const entry = byPath.get(c.path) ?? { services: new Set(), regions: 0 };
      entry.services.add(row.id);
      entry.regions += c.regions;
      byPath.set(c.path, entry);
    }
  }
  return [...byPath]
    .map(([p, e]) => ({ path: p, services: e.services.size, regions: e.regions }))
    .sort((a, b) => b.services - a.services || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** `paved template impact` as a plain function: open the template, find the fleet, plan every service. */
export async function templateImpact(input: ImpactInput): Promise<ImpactReport> {
  const { source, template } = await openTemplateVersions(input.templateDir);
  const versions = await source.listAllVersions(template);
  const wanted = input.to?.replace(/^v/, "");
  if (input.to !== undefined && wanted !== undefined && !versions.includes(wanted)) {
    throw new UserError(`${template} has no such version in ${input.templateDir}`, {
      hint: `versions: ${versions.join(", ") || "none"}`,
      fields: { flag: "--to", value: input.to },
    });
  }
  // With only pre-releases, the newest of them: a preview of a template that has not released yet.
  const to = wanted ?? latestRelease(versions) ?? latestVersion(versions, { prerelease: true });
  if (to === undefined)
    throw new UserError(`${template} has no versions`, {
      hint: "add a <version>/template.yaml folder",
      fields: { file: input.templateDir },
    });
  // Every version loads (and fails) here, once, rather than in each service's row.
  await Promise.all(versions.filter((v) => semver.lte(v, to)).map((v) => source.loadVersion(template, v)));

  const targets = selectTargets(input);
  const plan: Plan = { source, template, versions, to };
  let done = 0;
  const rows = await mapLimited(targets, input.concurrency ?? DEFAULT_CONCURRENCY, async (target) => {
    const row = await serviceImpact(target, plan);
    input.onRow?.(row, ++done, targets.length);
    return row;
  });
  return {
    template,
    source: source.id,
    to,
    shard: input.shard,
    totals: totalsOf(rows),
    conflictFiles: conflictFilesOf(rows),
    services: rows,
  };
}
