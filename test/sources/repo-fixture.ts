import { rmSync } from "node:fs";
import path from "node:path";
import { git, tempDir, writeFiles } from "../helpers.js";

/** A template.yaml for the test template `api` (or `name`) at `version`, with one question and files that change per version. */
export function manifestText(version: string, extra = "", name = "api"): string {
  return [
    `name: ${name}`,
    `version: ${version}`,
    `description: ${name === "api" ? "API" : name} template ${version}`,
    `changelog: Release ${version}`,
    "questions:",
    "  - name: name",
    "    type: input",
    "    message: Service name",
    '    default: "{{paved.dirName}}"',
    "files:",
    "  managed: [VERSION]",
    extra,
  ].join("\n");
}

/** Files of the template at a version: a rendered README, a VERSION file, an executable and a symlink. */
export function versionFiles(version: string, name = "api"): Record<string, string> {
  return {
    "template.yaml": manifestText(version, "", name),
    "files/README.md": `# {{name}}\n\nFrom ${name} ${version}.\n`,
    "files/VERSION": `${version}\n`,
  };
}

export interface TemplateRepo {
  dir: string;
  url: string;
  /** Commit the files (replacing files/ entirely) and tag the commit when `tag` is given. */
  release(version: string, tag?: string | null, files?: Record<string, string>): Promise<void>;
}

/** A real git repository holding the `api` template at its root, in a fresh temp dir. */
export async function templateRepo(): Promise<TemplateRepo> {
  const dir = path.join(tempDir("paved-src-"), "api-template");
  await git(path.dirname(dir), ["init", "--quiet", "--initial-branch", "main", dir]);
  return {
    dir,
    url: `file://${dir}`,
    async release(version, tag = `v${version}`, files = versionFiles(version)) {
      rmSync(path.join(dir, "files"), { recursive: true, force: true });
      writeFiles(dir, files);
      await git(dir, ["add", "--all"]);
      await git(dir, ["commit", "--quiet", "--allow-empty", "-m", `release ${version}`]);
      if (tag) await git(dir, ["tag", tag]);
    },
  };
}

export interface TemplatesRepo {
  dir: string;
  url: string;
  /**
   * Commit template `name` at `version` into its folder (`<folder><name>/`, replacing its files/), and tag the
   * commit `tag` (default `<name>@<version>`; null for none).
   */
  release(name: string, version: string, tag?: string | null, files?: Record<string, string>): Promise<void>;
}

/**
 * A real git repository holding several templates, each in `<folder><name>/` (folder "" for `<name>/` at the
 * root as changesets repositories do, "templates/" for a templates folder), in a fresh temp dir.
 */
export async function templatesRepo(folder: "" | "templates/" = ""): Promise<TemplatesRepo> {
  const dir = path.join(tempDir("paved-src-"), "platform-templates");
  await git(path.dirname(dir), ["init", "--quiet", "--initial-branch", "main", dir]);
  return {
    dir,
    url: `file://${dir}`,
    async release(name, version, tag = `${name}@${version}`, files = versionFiles(version, name)) {
      const home = path.join(dir, folder, name);
      rmSync(path.join(home, "files"), { recursive: true, force: true });
      writeFiles(home, files);
      await git(dir, ["add", "--all"]);
      await git(dir, ["commit", "--quiet", "--allow-empty", "-m", `${name} ${version}`]);
      if (tag) await git(dir, ["tag", tag]);
    },
  };
}
