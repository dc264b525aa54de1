import { readFileSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { parse } from "yaml";
import type { Manifest } from "../templates/manifest.js";
import { MANIFEST_FILE } from "../templates/source.js";
import { lockDrift, migrationsRepeated, readReleaseLock, RELEASE_LOCK_FILE, versionFolders } from "./release.js";
import type { TemplateDir } from "./template-dir.js";

export type ReleaseLintRule = "release/locked-changed" | "release/migrations-repeated";

export interface ReleaseLintFinding {
  rule: ReleaseLintRule;
  file: string;
  line?: number;
  message: string;
  hint?: string;
}

/**
 * Checks for a version folder in a directory of versions (`<dir>/<version>/`): every version the lock file
 * holds still has its digest (a released version never changes: findings name the files), and, as a
 * warning, the version does not repeat the previous version's migrations (a copied folder that kept them
 * would run them again on every upgrade).
 */
export async function checkReleases(
  template: TemplateDir,
  manifest: Manifest,
): Promise<{ findings: ReleaseLintFinding[]; warnings: ReleaseLintFinding[] }> {
  const findings: ReleaseLintFinding[] = [];
  const warnings: ReleaseLintFinding[] = [];
  const folder = path.basename(template.dir);
  if (semver.valid(folder) !== folder) return { findings, warnings };
  const parent = path.dirname(template.dir);
  const relative = (version: string, file: string) => (version === folder ? file : `../${version}/${file}`);

  const lock = readReleaseLock(parent);
  for (const drift of lock ? await lockDrift(parent, lock) : []) {
    const hint = `a released version never changes: restore it from git (git checkout -- ${path.relative(process.cwd(), path.join(parent, drift.version)) || "."}) and make the change in a new version (paved template release)`;
    if (drift.missing) {
      findings.push({
        rule: "release/locked-changed",
        file: `../${RELEASE_LOCK_FILE}`,
        message: `released version ${drift.version} is locked but its folder is gone`,
        hint,
      });
      continue;
    }
    for (const file of drift.files) {
      findings.push({
        rule: "release/locked-changed",
        file: relative(drift.version, file),
        message: `released version ${drift.version} changed since it was locked (${RELEASE_LOCK_FILE})`,
        hint,
      });
    }
  }

  const versions = versionFolders(parent);
  const previous = versions.filter((v) => semver.lt(v, manifest.version)).at(-1);
  if (previous) {
    let before: unknown;
    try {
      before = (parse(readFileSync(path.join(parent, previous, MANIFEST_FILE), "utf8")) as { migrations?: unknown } | null)?.migrations;
    } catch {
      before = undefined;
    }
    if (migrationsRepeated(before ?? [], manifest.migrations)) {
      const line = template.lineOf(["migrations"]);
      warnings.push({
        rule: "release/migrations-repeated",
        file: MANIFEST_FILE,
        ...(line ? { line } : {}),
        message: `migrations are the same as ${previous}'s: they would run again on every upgrade from ${previous}`,
        hint: `migrations list only what changed since ${previous}; remove the copied ones`,
      });
    }
  }
  return { findings, warnings };
}
