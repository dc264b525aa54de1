import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ProblemFound, UserError } from "../errors.js";
import { assertTargetFree } from "../fs/staging.js";
import { writeTree } from "../fs/write-tree.js";
import type { Output } from "../output.js";
import { kebab } from "../render/case.js";
import { commonOptionsSchema, parseCommandOptions } from "./options.js";

export const templateLintOptionsSchema = commonOptionsSchema;

export async function templateLintCommand(dir: string, rawOptions: unknown, out: Output): Promise<void> {
  parseCommandOptions(templateLintOptionsSchema, rawOptions, "template lint");
  const { lintTemplate } = await import("../authoring/lint.js");
  const result = await lintTemplate(dir);
  const ok = result.findings.length === 0;
  out.result({ ok, ...result });
  const what = result.name ? `${result.name} ${result.version}` : dir;
  for (const f of result.findings) {
    out.print(`${f.file}${f.line ? `:${f.line}` : ""}  ${out.c.red(f.rule)}  ${f.message}`);
    if (f.hint) out.print(out.c.dim(`    fix: ${f.hint}`));
  }
  const rendered = result.rendered.length ? ` (rendered with ${result.rendered.join(", ")})` : "";
  if (ok) {
    out.print(`${out.c.green("✓")} ${what}: no findings${rendered}`);
    return;
  }
  out.print(`${out.c.red("✗")} ${what}: ${result.findings.length} finding${result.findings.length === 1 ? "" : "s"}${rendered}`);
  throw new ProblemFound("lint findings");
}

export const templateTestOptionsSchema = commonOptionsSchema.extend({
  example: z.string().optional(),
  install: z.boolean().default(true),
  doctor: z.boolean().default(true),
  keep: z.boolean().default(false),
});

export async function templateTestCommand(dir: string, rawOptions: unknown, out: Output): Promise<void> {
  const options = parseCommandOptions(templateTestOptionsSchema, rawOptions, "template test");
  const { testTemplate } = await import("../authoring/test-template.js");
  const started = performance.now();
  const result = await testTemplate(dir, {
    install: options.install,
    doctor: options.doctor,
    keep: options.keep,
    ...(options.example !== undefined ? { example: options.example } : {}),
    log: (line) => out.info(line),
  });
  const failed = result.examples.filter((e) => !e.ok);
  const seconds = (performance.now() - started) / 1000;
  out.result({ ok: failed.length === 0, name: result.name, version: result.version, examples: result.examples, durationMs: Math.round(seconds * 1000) });
  for (const example of result.examples) {
    const steps = example.error ? `render failed: ${example.error}` : example.steps.map((s) => `${s.ok ? "✓" : "✗"} ${s.command}`).join(", ") || "no test commands";
    out.print(`${example.ok ? out.c.green("✓") : out.c.red("✗")} ${example.name}: ${example.files} files; ${steps}; doctor ${example.doctor.status} (${example.doctor.detail})`);
    for (const error of example.doctor.errors ?? []) out.print(`    ${error}`);
    if (options.keep) out.print(out.c.dim(`    kept in ${example.dir}`));
  }
  out.print(`${result.name} ${result.version}: ${result.examples.length - failed.length}/${result.examples.length} examples passed in ${seconds.toFixed(1)} s`);
  if (failed.length > 0) throw new ProblemFound("template test failed");
}

export const templateNewOptionsSchema = commonOptionsSchema.extend({
  name: z.string().optional(),
});

export async function templateNewCommand(dir: string, rawOptions: unknown, out: Output): Promise<void> {
  const options = parseCommandOptions(templateNewOptionsSchema, rawOptions, "template new");
  const target = path.resolve(dir);
  const name = options.name ?? kebab(path.basename(target));
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new UserError(`template name "${name}" must be lowercase letters, digits and dashes`, { hint: "pass --name, e.g. --name service" });
  }
  assertTargetFree(target);
  const { starterTemplate, STARTER_VERSION } = await import("../authoring/starter.js");
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  const tree = starterTemplate(name, pkg.version, new Date().toISOString().slice(0, 10));
  const { mkdir } = await import("node:fs/promises");
  await mkdir(target, { recursive: true });
  await writeTree(target, tree);
  const files = [...tree.keys()].sort();
  out.result({ ok: true, name, version: STARTER_VERSION, dir: target, files });
  const shown = path.relative(process.cwd(), target) || ".";
  out.print(`${out.c.green("✓")} Created the template ${out.c.bold(name)} ${STARTER_VERSION} in ${shown} (${files.length} files)`);
  out.print("\nNext steps:");
  for (const step of [
    `paved template lint ${shown}`,
    `paved template test ${shown}`,
    `cd ${shown} && git init && git add -A && git commit -m "${name} ${STARTER_VERSION}" && git tag v${STARTER_VERSION}`,
    `paved new ${name} my-app --source ${shown}`,
  ]) {
    out.print(`  ${step}`);
  }
}
