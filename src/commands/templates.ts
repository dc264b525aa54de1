import { defined } from "../errors.js";
import type { Output } from "../output.js";
import { escapeControlChars as shown } from "../terminal-text.js";
import type { Question } from "../templates/manifest.js";
import { noTemplateError, openSource, resolveVersion } from "../templates/source.js";
import { commonOptionsSchema, flagValue, parseCommandOptions, prereleaseOptionSchema, sourceOptionSchema, sourceSpec } from "./options.js";

export const templatesOptionsSchema = commonOptionsSchema.extend(sourceOptionSchema.shape).extend(prereleaseOptionSchema.shape).extend({
  version: flagValue.optional(),
});

export async function listTemplates(rawOptions: unknown, out: Output): Promise<void> {
  const options = parseCommandOptions(templatesOptionsSchema, rawOptions, "templates");
  const source = await openSource(sourceSpec(options.source), { prerelease: options.prerelease, warn: (m) => out.warn(m) });
  const rows = [];
  let preReleaseOnly = 0;
  for (const name of await source.listTemplates()) {
    const versions = await source.listVersions(name);
    const newest = versions.at(-1);
    if (newest === undefined) {
      if ((await source.listAllVersions(name)).length > 0) preReleaseOnly++;
      continue;
    }
    const latest = await resolveVersion(source, name, undefined).catch(() => newest);
    const manifest = (await source.loadVersion(name, latest)).manifest;
    rows.push({ name, description: manifest.description, latest, versions });
  }
  if (rows.length === 0 && preReleaseOnly === 0) throw noTemplateError(source);
  out.result({ ok: true, source: source.id, templates: rows });
  if (rows.length === 0) {
    out.print(`No released templates in ${source.id}; ${preReleaseOnly} with pre-releases only (pass --prerelease to list them).`);
    return;
  }
  const width = Math.max(...rows.map((r) => r.name.length));
  const latestWidth = Math.max(8, ...rows.map((r) => r.latest.length));
  for (const row of rows) {
    out.print(`${out.c.bold(row.name.padEnd(width))}  ${row.latest.padEnd(latestWidth)}  ${shown(row.description)}`);
    out.print(out.c.dim(`${" ".repeat(width)}  versions: ${[...row.versions].reverse().join(", ")}`));
  }
  out.info(
    out.c.dim(
      `\n${rows.length} template${rows.length === 1 ? "" : "s"} from ${source.id}; \`paved templates show <name>\` for questions and changelog.`,
    ),
  );
}

function describeQuestion(q: Question): Record<string, unknown> {
  return {
    name: q.name,
    type: q.type,
    message: q.message,
    ...(q.default !== undefined ? { default: q.default } : {}),
    ...(q.choices ? { choices: q.choices.map((c) => (typeof c === "object" ? c.value : c)) } : {}),
    required: q.required ?? false,
    ...(q.pattern ? { pattern: q.pattern } : {}),
    ...(q.when !== undefined ? { when: q.when } : {}),
    ...(q.secret ? { secret: true } : {}),
  };
}

export async function showTemplate(name: string, rawOptions: unknown, out: Output): Promise<void> {
  const options = parseCommandOptions(templatesOptionsSchema, rawOptions, "templates");
  const source = await openSource(sourceSpec(options.source), { prerelease: options.prerelease, warn: (m) => out.warn(m) });
  const listed = await source.listVersions(name);
  const current = await resolveVersion(source, name, options.version);
  // A requested version the cached tags lack makes resolveVersion fetch (a git source): list again to include it.
  const versions = listed.includes(current) ? listed : await source.listVersions(name, { want: current });
  const manifests = await Promise.all(versions.map(async (v) => (await source.loadVersion(name, v)).manifest));
  const manifest = defined(manifests[versions.indexOf(current)], `the manifest of ${name} ${current}`);
  const questions = manifest.questions.map(describeQuestion);
  out.result({
    ok: true,
    source: source.id,
    name,
    description: manifest.description,
    version: current,
    versions: manifests.map((m) => ({
      version: m.version,
      released: m.released ?? null,
      changelog: m.changelog ?? null,
      actions: m.actions,
    })),
    questions,
    managed: manifest.files.managed,
    hooks: manifest.hooks,
  });
  out.print(`${out.c.bold(name)} ${current} — ${shown(manifest.description)}`);
  out.print(`source: ${source.id}\n`);
  out.print(out.c.bold("Questions") + ` (answer with --set name=value):`);
  for (const q of manifest.questions) {
    const extras = [
      q.type,
      q.required ? "required" : undefined,
      q.default !== undefined ? `default ${JSON.stringify(q.default)}` : undefined,
      q.choices ? `one of ${q.choices.map((c) => (typeof c === "object" ? c.value : c)).join("|")}` : undefined,
      q.when !== undefined ? `when ${q.when}` : undefined,
      q.secret ? "secret" : undefined,
    ].filter(Boolean);
    out.print(`  ${out.c.cyan(q.name.padEnd(12))} ${shown(q.message)} ${out.c.dim(`(${shown(extras.join(", "))})`)}`);
  }
  out.print("\n" + out.c.bold("Versions"));
  for (const m of [...manifests].reverse()) {
    out.print(`  ${m.version}${m.released ? ` (${m.released})` : ""}${m.version === current ? out.c.green("  ← shown") : ""}`);
    for (const line of (m.changelog ?? "").trim().split("\n").filter(Boolean)) out.print(`    ${shown(line)}`);
    if (m.actions.length > 0) out.print(`    Action needed:\n${m.actions.map((a) => `      - [ ] ${shown(a)}`).join("\n")}`);
  }
}
