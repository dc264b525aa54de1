import { lstatSync, readFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";
import { serviceFilesUnder } from "../applications.js";
import { parseServiceFileText, SERVICE_FILE, type ServiceFile } from "../service-file.js";
import { isWithin } from "./placement.js";

/** One application of a template in a repository: a `.paved.yml` and the folder it sits in. */
export interface Application {
  /** Its folder relative to the repository root, POSIX; "" at the root. */
  path: string;
  template: string;
  /** Files it placed at the repository root, as its `.paved.yml` records them. */
  rootFiles: readonly string[];
}

/** How messages name an application: `service at packages/svc-a`. */
export function describeApplication(app: Pick<Application, "template" | "path">): string {
  return `${app.template} at ${app.path === "" ? "the repository root" : app.path}`;
}

/**
 * The applications recorded in a repository, from its tracked `.paved.yml` files (paths relative to `top`). A file
 * that cannot be read or parsed still marks an application there (its template shown as "an unreadable .paved.yml"),
 * so a broken record never lets a second template in.
 */
export function readApplications(top: string, serviceFiles: readonly string[]): Application[] {
  return serviceFiles.map((file) => {
    const at = file === SERVICE_FILE ? "" : file.slice(0, -SERVICE_FILE.length - 1);
    try {
      const record = parseServiceFileText(readFileSync(path.join(top, ...file.split("/")), "utf8"), file);
      return { path: at, template: record.template, rootFiles: record.rootFiles ?? [] };
    } catch {
      return { path: at, template: `an unreadable ${SERVICE_FILE}`, rootFiles: [] };
    }
  });
}

/** The applications in the repository at `top`: every `.paved.yml` git would commit (see serviceFilesUnder). */
export async function applicationsIn(top: string): Promise<Application[]> {
  return readApplications(top, await serviceFilesUnder(top));
}

/**
 * Refuse (exit 2, naming both applications) root files `app` would write that another application owns: one its
 * `.paved.yml` records, or one inside its folder. Two applications never share a file.
 */
export function assertRootFilesUnowned(
  app: Pick<Application, "template" | "path">,
  files: readonly string[],
  existing: readonly Application[],
): void {
  for (const file of files) {
    const owner = existing.find(
      (other) => other.path !== app.path && (other.rootFiles.includes(file) || (other.path !== "" && isWithin(file, other.path))),
    );
    if (owner) {
      throw new UserError(`${describeApplication(app)} would write it, but it belongs to ${describeApplication(owner)}`, {
        code: "overlap",
        fields: { file },
        hint: "two applications never share a file: give the new one another name (--set name=...) or template settings that name its files differently",
      });
    }
  }
}

/**
 * Refuse (exit 2) an upgrade of the service at `prefix` (git's "packages/svc-a/") whose new version would place a
 * root file the service does not have yet where another application's file is. Only new root files are asked about:
 * the ones `.paved.yml` records are the service's own.
 */
export async function assertNewRootFilesFree(
  top: string,
  prefix: string,
  service: Pick<ServiceFile, "template" | "rootFiles">,
  rootFiles: readonly string[],
): Promise<void> {
  const added = rootFiles.filter((file) => !(service.rootFiles ?? []).includes(file));
  if (added.length === 0) return;
  const app = { template: service.template, path: prefix.replace(/\/$/, "") };
  assertRootFilesUnowned(app, added, await applicationsIn(top));
}

export interface NewApplication {
  path: string;
  template: string;
  /** Files it would place at the repository root, relative to the root. */
  rootFiles: readonly string[];
}

/**
 * Refuse (exit 2, naming both) a new application at `at` (repository-relative) where one is already, or inside
 * another application's folder, or around one (the root's excepted: a repository-wide template may sit at the root
 * with services below it). Checked before anything is asked.
 */
export function assertFolderFree(at: string, existing: readonly Application[]): void {
  for (const app of existing) {
    if (app.path === at) {
      throw new UserError(`${describeApplication(app)} is already there (${at}/${SERVICE_FILE}); paved applies one template to a folder`, {
        code: "overlap",
        fields: { file: at },
        hint: "choose another subdirectory; to move that application to a newer version use `paved upgrade`",
      });
    }
    if (app.path !== "" && (isWithin(at, app.path) || isWithin(app.path, at))) {
      throw new UserError(
        `a new application there would overlap ${describeApplication(app)}; one application's folder may not hold another's`,
        {
          code: "overlap",
          fields: { file: at },
          hint: isWithin(at, app.path)
            ? `choose a subdirectory outside ${app.path}`
            : `choose a subdirectory that does not contain ${app.path}`,
        },
      );
    }
  }
}

/**
 * Refuse (exit 2, naming both applications) a new application's root files that would be shared with another
 * application: a root file another application's `.paved.yml` records, a root file inside another application's
 * folder, or a root file already on disk (paved never writes over a file it did not make).
 */
export function assertNoOverlap(top: string, added: NewApplication, existing: readonly Application[]): void {
  assertRootFilesUnowned(added, added.rootFiles, existing);
  const shown = describeApplication(added);
  for (const file of added.rootFiles) {
    if (lstatSync(path.join(top, ...file.split("/")), { throwIfNoEntry: false })) {
      const rootApp = existing.find((app) => app.path === "");
      throw new UserError(`${shown} would write it, but it already exists${rootApp ? ` (in ${describeApplication(rootApp)})` : ""}`, {
        code: "overlap",
        fields: { file },
        hint: "paved never writes over a file it did not make: rename or remove that file, or give the new application another name (--set name=...)",
      });
    }
  }
}
