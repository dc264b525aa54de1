import path from "node:path";
export { configJsonSchema } from "../config.js";
import { effectiveConfig, ORG_CONFIG_ENV, userConfigFile, type EffectiveConfig, type Sourced } from "../config.js";
import type { Output } from "../output.js";
import { pavedVersion } from "../paved-version.js";
import { escapeControlChars as shown } from "../terminal-text.js";
import { commonOptionsSchema, parseCommandOptions } from "./options.js";

export const configOptionsSchema = commonOptionsSchema;

/** `paved config`: the configuration in effect here, and where each value came from. */
export async function configCommand(dir: string | undefined, rawOptions: unknown, out: Output): Promise<void> {
  parseCommandOptions(configOptionsSchema, rawOptions, "config");
  const cwd = path.resolve(dir ?? ".");
  const config = effectiveConfig(cwd);
  for (const warning of config.warnings) out.warn(warning);
  out.result({ ok: true, paved: pavedVersion(), directory: cwd, ...configJson(config), lookedFor: lookedFor() });

  const width = 10;
  const row = (name: string, value: string, from: string) =>
    out.print(`${out.c.bold(name.padEnd(width))} ${shown(value)}  ${out.c.dim(`(${fromText(from)})`)}`);
  out.print(
    config.files.length ? out.c.bold("files") : `${out.c.bold("files".padEnd(width))} ${out.c.dim("none: every value is built in")}`,
  );
  for (const file of config.files) out.print(`  ${file.kind.padEnd(8)} ${shown(file.file)}`);
  row("source", config.source?.value ?? "builtin", config.source?.from ?? "default");
  row("verify", String(config.verify.value), config.verify.from);
  const cli = config.cli.value;
  row("cli", `${cli.spec} (pin: ${cli.pin})`, config.cli.from);
  const defaults = Object.entries(config.defaults).flatMap(([template, answers]) =>
    Object.entries(answers).map(([name, entry]) => ({ key: `${template}.${name}`, ...entry })),
  );
  if (defaults.length === 0) row("defaults", "none (the templates' own)", "default");
  for (const entry of defaults) row("defaults", `${entry.key}: ${JSON.stringify(entry.value)}`, entry.from);
  if (config.trust.length === 0) row("trust", "none (hooks from a source other than the built-in one need --trust)", "default");
  for (const entry of config.trust) row("trust", entry.value, entry.from);
  out.info(
    out.c.dim(
      `\nPrecedence: flags > environment (PAVED_SOURCE) > .pavedrc.yml (found upward) > ${userConfigFile()} > ${ORG_CONFIG_ENV} > built-in. See docs/config.md.`,
    ),
  );
}

function fromText(from: string): string {
  if (from === "default") return "built-in default";
  if (from === "PAVED_SOURCE") return "environment: PAVED_SOURCE";
  return `from ${from}`;
}

function lookedFor(): Record<string, string | null> {
  return { project: ".pavedrc.yml, upward from the directory", user: userConfigFile(), org: process.env[ORG_CONFIG_ENV] ?? null };
}

/** The effective configuration as JSON: every value with `from` (a file path, an environment variable, or `default`). */
export function configJson(config: EffectiveConfig): Record<string, unknown> {
  const sourced = <T>(s: Sourced<T>) => ({ value: s.value, from: s.from });
  return {
    files: config.files,
    source: config.source ? sourced(config.source) : { value: "builtin", from: "default" },
    verify: sourced(config.verify),
    cli: sourced(config.cli),
    defaults: config.defaults,
    trust: config.trust.map(sourced),
    warnings: config.warnings,
  };
}
