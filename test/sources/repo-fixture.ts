import { rmSync } from "node:fs";
import path from "node:path";
import { git, tempDir, writeFiles } from "../helpers.js";

/** A template.yaml for the test template `api` at `version`, with one question and a `greeting` that changes per version. */
export function manifestText(version: string, extra = ""): string {
  return [
    "name: api",
    `version: ${version}`,
    `description: API template ${version}`,
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
export function versionFiles(version: string): Record<string, string> {
  return {
    "template.yaml": manifestText(version),
    "files/README.md": `# {{name}}\n\nFrom api ${version}.\n`,
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
