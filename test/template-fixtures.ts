import path from "node:path";
import { stringify } from "yaml";
import { DirectorySource, type TemplateVersion } from "../src/templates/source.js";
import { tempDir, writeFiles } from "./helpers.js";

export interface FixtureVersion {
  /** template.yaml content as an object (name and version are filled in) or raw text. */
  manifest?: Record<string, unknown> | string;
  files?: Record<string, string | Buffer | null>;
}

/**
 * Build a template source directory `<root>/<name>/<version>/{template.yaml,files/}` on disk.
 * Returns its root, usable as `--source <root>`.
 */
export function makeSource(templates: Record<string, Record<string, FixtureVersion>>, root = tempDir("paved-source-")): string {
  for (const [name, versions] of Object.entries(templates)) {
    for (const [version, fixture] of Object.entries(versions)) {
      const dir = path.join(root, name, version);
      const manifest =
        typeof fixture.manifest === "string"
          ? fixture.manifest
          : stringify({ name, version, description: `${name} template`, ...(fixture.manifest ?? {}) });
      writeFiles(dir, { "template.yaml": manifest, "files/": null });
      const files: Record<string, string | Buffer | null> = {};
      for (const [p, content] of Object.entries(fixture.files ?? {})) files[`files/${p}`] = content;
      writeFiles(dir, files);
    }
  }
  return root;
}

/** Load one version of a fixture template through the real loader. */
export async function loadFixture(fixture: FixtureVersion, name = "demo", version = "1.0.0"): Promise<TemplateVersion> {
  const root = makeSource({ [name]: { [version]: fixture } });
  return new DirectorySource(root, root, false).loadVersion(name, version);
}
