import { existsSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { UserError } from "./errors.js";
import { parseWith } from "./validation.js";
import { parseConfigText, readConfigText } from "./yaml-file.js";

/** The project config, found upward from the working directory. */
export const PROJECT_CONFIG_FILE = ".pavedrc.yml";

export const configFileSchema = z
  .object({
    $schema: z.string().optional(),
    /** The default template source: a git URL, a git repository path or a `<name>/<version>/` directory. */
    source: z.string().min(1).optional(),
    /** Run the template's `test:` commands after every `paved upgrade` (as `--verify`; `--no-verify` skips). */
    verify: z.boolean().optional(),
  })
  .strict();
export type ConfigFile = z.infer<typeof configFileSchema>;

/** Where the default source was found, for messages ("PAVED_SOURCE", or a config file's path). */
export interface DefaultSource {
  spec: string;
  from: string;
}

export function userConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(homedir(), ".config");
  return path.join(base, "paved", "config.yml");
}

export function readConfigFile(file: string): ConfigFile {
  const fix = `${file} takes \`source\` and \`verify\`, e.g. \`source: https://git.example.com/platform/service-template.git\``;
  const text = readConfigText(file, file, fix);
  if (text === undefined) throw new UserError(`${file}: cannot read: it is gone`, { hint: "fix its permissions or remove it" });
  return parseWith(configFileSchema, parseConfigText(text, file, fix) ?? {}, { file, fix });
}

/** The nearest `.pavedrc.yml` in `start` or a parent directory. */
export function findProjectConfig(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    const candidate = path.join(dir, PROJECT_CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** A path in a config file is relative to that file; URLs are left alone. */
function resolveFromFile(spec: string, file: string): string {
  if (looksLikeUrl(spec) || spec === "builtin" || path.isAbsolute(spec)) return spec;
  return path.resolve(path.dirname(file), spec);
}

/** `https://`, `ssh://`, `file://`, `git://` URLs and scp-like `git@host:org/repo`. */
export function looksLikeUrl(spec: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) || /^[^/\\@:\s]+@[^/\\:\s]+:/.test(spec);
}

/**
 * The organisation's default source: PAVED_SOURCE, else `source:` in the nearest `.pavedrc.yml`,
 * else in the user config (`$XDG_CONFIG_HOME/paved/config.yml`); undefined means the built-in templates.
 */
export function defaultSource(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): DefaultSource | undefined {
  if (env.PAVED_SOURCE) return { spec: env.PAVED_SOURCE, from: "PAVED_SOURCE" };
  const project = findProjectConfig(cwd);
  if (project) {
    const { source } = readConfigFile(project);
    if (source) return { spec: resolveFromFile(source, project), from: project };
  }
  const user = userConfigFile(env);
  if (existsSync(user)) {
    const { source } = readConfigFile(user);
    if (source) return { spec: resolveFromFile(source, user), from: user };
  }
  return undefined;
}

/** `verify: true` in the nearest `.pavedrc.yml` (from the service directory up), else in the user config. */
export function verifyByDefault(serviceDir: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const project = findProjectConfig(serviceDir);
  if (project) {
    const { verify } = readConfigFile(project);
    if (verify !== undefined) return verify;
  }
  const user = userConfigFile(env);
  return existsSync(user) ? (readConfigFile(user).verify ?? false) : false;
}
