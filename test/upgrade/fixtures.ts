import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { git, runCli, tempDir } from "../helpers.js";

export interface VersionFixture {
  /** Extra manifest fields (questions, files, migrations, hooks...). */
  manifest?: Record<string, unknown>;
  /** Files under files/; a value of { text, mode } sets the mode. */
  files: Record<string, string | Buffer | { text: string | Buffer; mode: number }>;
}

export const BASE_QUESTIONS = [
  { name: "name", type: "input", message: "Service name", default: "{{paved.dirName}}", required: true },
  { name: "owner", type: "input", message: "Owner", default: "team-a" },
];

/** Write a template source laid out as <name>/<version>/{template.yaml,files/}; returns its root. */
export function makeSource(versions: Record<string, VersionFixture>, name = "svc", root = tempDir("paved-src-")): string {
  for (const [version, fixture] of Object.entries(versions)) {
    const dir = path.join(root, name, version);
    mkdirSync(path.join(dir, "files"), { recursive: true });
    const manifest = { name, version, description: `${name} ${version}`, questions: BASE_QUESTIONS, ...fixture.manifest };
    writeFileSync(path.join(dir, "template.yaml"), stringify(manifest));
    for (const [relative, content] of Object.entries(fixture.files)) {
      const full = path.join(dir, "files", relative);
      mkdirSync(path.dirname(full), { recursive: true });
      const spec = typeof content === "string" || Buffer.isBuffer(content) ? { text: content, mode: 0o644 } : content;
      writeFileSync(full, spec.text);
      chmodSync(full, spec.mode);
    }
  }
  return root;
}

/** `paved new` a service from the source at `version` into a fresh git repository; returns its directory. */
export async function newService(source: string, version: string, extra: string[] = [], name = "svc"): Promise<string> {
  const target = path.join(tempDir("paved-svc-"), "demo-svc");
  const result = await runCli(["new", name, target, "--source", source, "--version", version, "--yes", ...extra]);
  if (result.exitCode !== 0) throw new Error(`paved new failed: ${result.stderr}`);
  return target;
}

/** Commit everything in the service (the team's edits). */
export async function commitAll(dir: string, message = "team edits"): Promise<void> {
  await git(dir, ["add", "-A"]);
  await git(dir, ["commit", "-q", "-m", message]);
}
