import { existsSync } from "node:fs";
import path from "node:path";
import { UserError } from "./errors.js";
import { isDirectory } from "./fs/paths.js";
import { tryGit } from "./git/run.js";
import { SERVICE_FILE } from "./service-file.js";
import { displayPath } from "./templates/source.js";

/**
 * Where `paved upgrade|diff|doctor` act: one application of a template (a directory holding its own `.paved.yml`),
 * or every application in a repository. An application is found as git finds .git: the nearest `.paved.yml` at or
 * above the directory, up to the repository root; a directory with none (a monorepo's root) stands for every
 * application git knows below it.
 */
export interface Application {
  /** The directory holding its `.paved.yml`, as the user spelled the way there (absolute). */
  dir: string;
  /** Its path from the repository root, POSIX: "" at the root, else e.g. "packages/svc-a". */
  path: string;
}

/**
 * What a command acts on. One service (`all: false`): the directory holding its `.paved.yml` (or the missing
 * directory the command reports), with unchanged output; its path in the repository is not asked for here, as
 * upgrade and diff do not need it (doctor asks git itself). Several (`all: true`: `--all`, or a directory with
 * no `.paved.yml` of its own): the command reports each under its path and exits with the worst outcome;
 * there is at least one, or selectApplications refuses.
 */
export type Selection = { all: false; dir: string } | { all: true; applications: [Application, ...Application[]] };

/** The repository's top level and the directory's path inside it ("" at the top), or undefined outside git. */
export async function repositoryPlace(dir: string): Promise<{ root: string; prefix: string } | undefined> {
  const result = await tryGit(dir, ["rev-parse", "--show-toplevel", "--show-prefix"]).catch(() => undefined);
  if (!result || result.exitCode !== 0) return undefined;
  const [root, prefix = ""] = result.stdout.split("\n");
  if (!root) return undefined;
  return { root, prefix: prefix.trim().replace(/\/$/, "") };
}

/** The path of `dir` from its repository's root ("" at the root, or outside git). */
export async function pathInRepository(dir: string): Promise<string> {
  return (await repositoryPlace(dir))?.prefix ?? "";
}

/** The nearest directory at or above `start` holding `.paved.yml`, stopping at the repository root (the one with .git). */
export function nearestApplicationDir(start: string): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, SERVICE_FILE))) return dir;
    if (existsSync(path.join(dir, ".git")) || path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Every application at or below `dir` that git would commit: tracked `.paved.yml` files, and untracked ones that
 * are not ignored (a service just made with `paved new --no-git` counts; one in ignored build output does not).
 * Outside git there is nothing to list. Sorted by path.
 */
export async function applicationsUnder(dir: string): Promise<Application[]> {
  const place = await repositoryPlace(dir);
  if (!place) return [];
  const applications: Application[] = [];
  for (const file of await serviceFilesUnder(dir)) {
    const relative = path.posix.dirname(file) === "." ? "" : path.posix.dirname(file);
    applications.push({
      dir: path.join(dir, ...relative.split("/").filter(Boolean)),
      path: [place.prefix, relative].filter(Boolean).join("/"),
    });
  }
  return applications.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The one way paved lists the applications in a repository: every `.paved.yml` at or below `dir` (in a git work
 * tree) that git would commit, relative to `dir`, sorted. Tracked ones, and untracked ones that are not ignored:
 * a service just made with `paved new --no-git` is an application (upgrade --all acts on it, and no other
 * application may take its root files); one in ignored build output is not. Tracked but deleted: not any more.
 */
export async function serviceFilesUnder(dir: string): Promise<string[]> {
  const result = await tryGit(dir, ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", `:(glob)**/${SERVICE_FILE}`]);
  if (result.exitCode !== 0) return [];
  return [...new Set(result.stdout.split("\0").filter(Boolean))].filter((file) => existsSync(path.join(dir, ...file.split("/")))).sort();
}

/**
 * The applications `paved upgrade|diff|doctor [dir] [--all]` act on.
 * - `--all`: every application under `dir`, or under the repository root without `dir`.
 * - else the nearest `.paved.yml` at or above `dir` (default: the current directory) is the one service;
 * - else (a monorepo's root, or a folder of services) every application below it, as `--all`.
 * None is exit 2 naming the fix (`paved new`, `paved adopt`).
 */
export async function selectApplications(dir: string | undefined, options: { all: boolean; cwd?: string }): Promise<Selection> {
  const start = path.resolve(options.cwd ?? process.cwd(), dir ?? ".");
  // A missing directory is the command's to report, in its own words, as before.
  if (!isDirectory(start)) return { all: false, dir: start };
  if (!options.all) {
    const found = nearestApplicationDir(start);
    if (found) return { all: false, dir: found };
  }
  const place = await repositoryPlace(start);
  const under = options.all && dir === undefined && place ? place.root : start;
  const [first, ...more] = await applicationsUnder(under);
  if (first === undefined) {
    const shown = path.resolve(under) === process.cwd() ? "." : displayPath(under);
    throw new UserError(
      place
        ? `${shown} is not a paved service: no ${SERVICE_FILE} ${options.all ? "" : "there or above it (up to the repository root), nor "}in the files git has below it`
        : `${shown} is not a paved service: no ${SERVICE_FILE} there or above it`,
      {
        hint: "create a service with `paved new <template> <dir>`, or bring an existing one in with `paved adopt <template> [dir]`; or pass the directory of a service",
      },
    );
  }
  return { applications: [first, ...more], all: true };
}
