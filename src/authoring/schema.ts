import { z } from "zod";
import { manifestSchema } from "../templates/manifest.js";

type JsonSchema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
};

/**
 * What each manifest field means, keyed by its path in the reference (`questions[].when`). The schema
 * gives structure, types and defaults; these words are merged into the published JSON Schema (editor
 * hovers) and the reference in docs/authoring.md. A test fails when a field has no entry here.
 */
export const FIELD_DESCRIPTIONS: Record<string, string> = {
  $schema: "JSON Schema for editors, e.g. the package's `schema/template.schema.json`. Ignored by paved.",
  name: "Template name, used in `paved new <name>`: lowercase letters, digits and dashes. Must match its folder (`<name>/<version>/`, or `<name>/` in a git repository of several templates) and the tags that name it (`<name>@1.2.0`).",
  version:
    "Semver version of this release, e.g. `1.2.0` or `2.0.0-rc.1`. Must match the version folder or the git tag (`v1.2.0`, `1.2.0`, `<name>@1.2.0` or `<name>-v1.2.0`) and be above the previous release.",
  description: "One line shown by `paved templates list`.",
  released: "Release date, YYYY-MM-DD. Doctor's grace period for version lag counts from it.",
  changelog:
    "What changed in this version, shown by `paved templates show` and by every `paved upgrade` that crosses it (`--check`, `--dry-run`, before applying, `--json`, the `--commit` message).",
  actions:
    "Steps a person must take for this version that paved cannot do, one line each (e.g. `move your workload-identity annotations into deploy/base/deployment.yaml`). Shown with the changelog wherever an upgrade crosses this version.",
  minPavedVersion:
    "Oldest paved that can use this version: `paved new`, `upgrade`, `doctor` and `fleet` refuse an older paved (exit 2) with the command that gets a new enough one.",
  questions: "Questions asked by `paved new` (in order), answered with `--set name=value`, an answers file or a prompt.",
  "questions[].name":
    "Answer name: `{{name}}` in files, `--set name=...` on the command line. A letter or `_`, then letters, digits or `_`.",
  "questions[].type": "`input` (text), `confirm` (yes/no), `select` (one of `choices`), `multiselect` (a list), `number`.",
  "questions[].message": "The prompt shown to a person.",
  "questions[].default": "Default answer. Text may use earlier answers (`{{name}}-db`) and `{{paved.dirName}}`.",
  "questions[].choices": "For select and multiselect: values, or `{value, name, description}` objects.",
  "questions[].choices[].value": "The answer this choice gives.",
  "questions[].choices[].name": "Label shown in the prompt.",
  "questions[].choices[].description": "Longer help shown beside the choice.",
  "questions[].required": "An answer must be given (no empty text); without a TTY a missing one is a usage error naming `--set`.",
  "questions[].pattern": "Regular expression (Unicode) the answer must match.",
  "questions[].patternHint": "Said when the pattern does not match, e.g. `must be lowercase letters and dashes`.",
  "questions[].when":
    'Expression over earlier answers (`database == "postgres" && tier < 3`); when false the question is skipped and answers null.',
  "questions[].secret": "Never written to `.paved.yml` (tokens, passwords).",
  "questions[].min": "Smallest allowed number.",
  "questions[].max": "Largest allowed number.",
  "questions[].help": "Extra help shown with the prompt.",
  "questions[].infer":
    "How `paved adopt` finds this answer in an existing repository: rules tried in order; the first that finds a value the question accepts (type, choices, `pattern`, range) wins, a value it refuses is reported and the next rule is tried. A rule is `file#path` (`package.json#name`: JSON for `.json` files, else YAML) or an object with `file` and one of `json`, `yaml`, `regex`, `exists`. Files are read only inside the repository, never through a symlink that leaves it. See docs/adopt.md.",
  "questions[].infer[].file": "The file to read, relative to the repository root (for `exists`, a file or folder).",
  "questions[].infer[].json": "A path into the file parsed as JSON, e.g. `name` or `dependencies.pg`.",
  "questions[].infer[].yaml": "A path into the file parsed as YAML (every document is tried), e.g. `spec.owner`.",
  "questions[].infer[].regex":
    "A regular expression over the file's text (multi-line: `^` and `$` match at line ends); the answer is its first group, or the whole match without one. Run by a linear-time engine: no backreferences or lookaround.",
  "questions[].infer[].exists":
    "`true`: the rule finds something when the file or folder exists; `false`: when it does not. Needs `value` unless the question is a confirm (then the answer is `true`).",
  "questions[].infer[].value":
    "The answer when the rule finds something, instead of what it found (e.g. `postgres` when `dependencies.pg` is set).",
  files: "How files under `files/` are treated. Globs are picomatch globs over paths as written under `files/`.",
  "files.when": "Glob -> expression over the answers: a matching file is rendered only when the expression is true.",
  "files.copy": "Globs of files copied byte for byte, never rendered (binaries, files with their own `{{`).",
  "files.managed": "Globs of files the platform owns: doctor reports drift in them, upgrade overwrites them.",
  "files.required": "Globs of files a service must keep (doctor).",
  hooks: "Commands run in the new or upgraded repository. From sources other than the built-in templates they run only with `--trust`.",
  "hooks.postCreate": "Run by `paved new` in the new repository before it is moved into place, e.g. `npm install`.",
  "hooks.postUpgrade": "Run by `paved upgrade` after the merge.",
  "hooks.postCreate[].run": "The command: one string (split into words, no shell) or a list of words.",
  "hooks.postCreate[].shell": "Run through a shell (pipes, `&&`). Off by default so answers are never re-parsed.",
  "hooks.postCreate[].timeout": "Seconds before the command is killed (default 600).",
  "hooks.postCreate[].install": "A dependency install: skipped by `--no-install`.",
  "hooks.postCreate[].name": "Label for messages.",
  "hooks.postUpgrade[].run": "As in postCreate.",
  "hooks.postUpgrade[].shell": "As in postCreate.",
  "hooks.postUpgrade[].timeout": "As in postCreate.",
  "hooks.postUpgrade[].install": "As in postCreate.",
  "hooks.postUpgrade[].name": "As in postCreate.",
  migrations:
    "Steps that bring a service from the previous version to this one, run by `upgrade` after the merge, in order. Each step is one of `rename`, `delete` or `run`.",
  "migrations[].rename": "Move a file: `{from, to}` paths in the service.",
  "migrations[].rename.from": "Path before.",
  "migrations[].rename.to": "Path after.",
  "migrations[].delete": "Delete a file the template no longer has.",
  "migrations[].run": "A command (needs `--trust` like hooks).",
  "migrations[].shell": "Run the command through a shell.",
  "migrations[].timeout": "Seconds before the command is killed.",
  checks: "Doctor rules this version adds; data, not code.",
  "checks[].id": "Check id, `group/name`, e.g. `service/non-root`; used in reports and waivers.",
  "checks[].severity": "`error` fails doctor, `warning` fails only with `--strict`, `info` never fails.",
  "checks[].category": "Groups findings in reports.",
  "checks[].message": "The rule, said when the check passes, e.g. `the image runs as an unprivileged user`.",
  "checks[].failMessage":
    "The problem, said when the check fails, e.g. `the image runs as root`. Without it doctor says `not met: <message>`.",
  "checks[].fix": "How to fix a failure.",
  "checks[].when": "Expression over the service's answers; the check is skipped when false.",
  "checks[].type": "`file-exists`, `file-contains`, `file-not-contains`, `yaml-path` or `json-path`.",
  "checks[].file": "The file to check, relative to the service root.",
  "checks[].pattern": "Regular expression the file must (file-contains) or must not (file-not-contains) match.",
  "checks[].path": "Path into the YAML/JSON document, e.g. `spec.template.spec.securityContext.runAsNonRoot`.",
  "checks[].equals": "The value found at `path` must equal this.",
  "checks[].matches": "The value found at `path` must match this regular expression.",
  examples: "Answer sets that `paved template lint` renders and `paved template test` generates and tests.",
  "examples[].name": "Example name, shown in reports and used by `--example`.",
  "examples[].answers": "Answers by question name; questions left out take their defaults.",
  rootFiles:
    "Globs over rendered paths (e.g. `.github/**`): the files that go to the git repository's root instead of the service's folder when `paved new` adds the template to a subdirectory of an existing repository (CI systems read workflows only at the root). At a repository root nothing changes. Use `{{paved.path}}` in those files for paths filters and working directories, and give them names that differ between services (docs/monorepo.md).",
  nextSteps: "Lines printed after `paved new` succeeds (Handlebars over the answers), e.g. `npm run dev`.",
  test: "Commands `paved template test` runs in each generated example, and `paved upgrade --verify` runs in the upgraded service, e.g. install, test, build, `promtool test rules`. Same form as hooks.",
  "test[].run": "As in hooks.",
  "test[].shell": "As in hooks.",
  "test[].timeout": "As in hooks.",
  "test[].install": "Skipped by `paved template test --no-install`.",
  "test[].name": "As in hooks.",
  lockfile:
    "How the service's dependency lockfile is refreshed from its manifest. `paved upgrade` runs it after the merge and includes the files in the upgrade; `paved new` runs it when its hooks left the lockfile missing (with `--no-install` only when given `--lockfile`, as it needs the registry; otherwise the next steps say what is missing). From sources other than the built-in templates it runs only with `--trust`.",
  "lockfile.command":
    "The refresh command, same form as a hook; it should only rewrite the lockfile (no install, no scripts), e.g. `npm install --package-lock-only --ignore-scripts --no-audit --no-fund`.",
  "lockfile.command.run": "As in hooks.",
  "lockfile.command.shell": "As in hooks.",
  "lockfile.command.timeout": "As in hooks.",
  "lockfile.command.install": "As in hooks (ignored: the refresh always runs).",
  "lockfile.command.name": "As in hooks.",
  "lockfile.files": "The files the command writes, relative to the service root, e.g. `package-lock.json`.",
  "lockfile.inputs":
    "The files the lockfile is computed from, e.g. `package.json`: `paved upgrade` refreshes the lockfile only when the upgrade changes one of them (empty: after every upgrade).",
};

export const SCHEMA_ID = "https://github.com/paved-dev/paved/schema/template.schema.json";

/** The JSON Schema of template.yaml (the zod schema's input side), with the field descriptions merged in. */
export function templateJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(manifestSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const cleaned = dropAnyAlternatives(schema) as JsonSchema;
  for (const row of fieldRows(cleaned)) {
    const description = FIELD_DESCRIPTIONS[row.path];
    if (description) for (const node of row.nodes) node.description = description;
  }
  return {
    $schema: cleaned.$schema,
    $id: SCHEMA_ID,
    title: "paved template.yaml",
    description: "A version of a paved template (golden path).",
    ...cleaned,
  };
}

/** `released` also accepts a YAML date, which JSON Schema renders as `{}` (anything); editors need the string form. */
function dropAnyAlternatives(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropAnyAlternatives);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = dropAnyAlternatives(value);
  if (Array.isArray(out.anyOf)) {
    const kept = (out.anyOf as object[]).filter((m) => Object.keys(m).length > 0);
    if (kept.length === 1) {
      delete out.anyOf;
      Object.assign(out, kept[0]);
    } else {
      out.anyOf = kept;
    }
  }
  return out;
}

export interface FieldRow {
  path: string;
  type: string;
  required: boolean;
  default?: unknown;
  /** Variants of a union this field belongs to (e.g. check types), when not all. */
  onlyFor?: string[];
  /** Every schema node for this path (one per union variant), so a description can be set on all. */
  nodes: JsonSchema[];
}

/** Every field of the manifest, depth first in schema order, union variants merged. */
export function fieldRows(schema: JsonSchema): FieldRow[] {
  const rows = new Map<string, FieldRow & { seenIn: number }>();
  const visitObject = (node: JsonSchema, prefix: string, variant?: string) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const fieldPath = prefix ? `${prefix}.${key}` : key;
      const required = (node.required ?? []).includes(key) && !("default" in child);
      const existing = rows.get(fieldPath);
      if (existing) {
        existing.nodes.push(child);
        existing.seenIn++;
        existing.required &&= required;
        const type = typeOf(child);
        if (!existing.type.split(" \\| ").includes(type)) existing.type += ` \\| ${type}`;
        if (variant !== undefined) existing.onlyFor?.push(variant);
      } else {
        rows.set(fieldPath, {
          path: fieldPath,
          type: typeOf(child),
          required,
          ...("default" in child ? { default: child.default } : {}),
          ...(variant !== undefined ? { onlyFor: [variant] } : {}),
          nodes: [child],
          seenIn: 1,
        });
      }
      visitChildren(child, fieldPath);
    }
  };
  const visitChildren = (node: JsonSchema, fieldPath: string) => {
    if (node.properties) visitObject(node, fieldPath);
    const alternatives = (node.anyOf ?? node.oneOf ?? []).filter((a) => a.properties);
    if (alternatives.length > 0) {
      const before = new Set(rows.keys());
      for (const alt of alternatives) visitObject(alt, fieldPath, variantName(alt));
      // A field of some variants only is not required as such, and says which variants have it.
      for (const [key, row] of rows) {
        if (before.has(key) || !row.onlyFor) continue;
        if (row.seenIn < alternatives.length) row.required = false;
        if (row.seenIn >= alternatives.length || row.onlyFor.some((v) => v === "")) delete row.onlyFor;
      }
    }
    if (node.items) visitChildren(node.items, `${fieldPath}[]`);
  };
  visitObject(schema, "");
  return [...rows.values()].map(({ seenIn: _seen, ...row }) => row);
}

/** A union variant's name: its `type` discriminator (check types), else "" (no name to show). */
function variantName(alt: JsonSchema): string {
  const discriminator = alt.properties?.type;
  if (discriminator?.const !== undefined) return String(discriminator.const);
  if (discriminator?.enum) return discriminator.enum.join(", ");
  return "";
}

function typeOf(node: JsonSchema): string {
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeOf))].join(" or ");
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  if (types.includes("array") && node.items) {
    const item = typeOf(node.items);
    return `list of ${item.includes(" or ") ? `(${item})` : `${item}s`}`;
  }
  if (types.includes("object")) {
    if (!node.properties && node.additionalProperties && typeof node.additionalProperties === "object")
      return `map of string to ${typeOf(node.additionalProperties)}`;
    return "object";
  }
  return types.length ? types.join(" or ") : "any";
}

const START = "<!-- manifest-reference:start (generated by `npm run docs` from the zod schema; do not edit by hand) -->";
const END = "<!-- manifest-reference:end -->";

/** The manifest reference as a Markdown table. */
export function manifestReference(schema: JsonSchema = templateJsonSchema()): string {
  const cell = (text: string) => text.replace(/\n/g, " ").replace(/(?<!\\)\|/g, "\\|");
  const lines = ["| Field | Type | Required | Default | Meaning |", "| --- | --- | --- | --- | --- |"];
  for (const row of fieldRows(schema)) {
    const fallback = row.default === undefined ? "" : `\`${JSON.stringify(row.default)}\``;
    const only = row.onlyFor?.length ? ` Only for type ${row.onlyFor.map((v) => `\`${v}\``).join(", ")}.` : "";
    const meaning = (FIELD_DESCRIPTIONS[row.path] ?? "") + only;
    lines.push(`| \`${row.path}\` | ${row.type} | ${row.required ? "yes" : ""} | ${cell(fallback)} | ${cell(meaning)} |`);
  }
  return lines.join("\n");
}

/** Replace the generated section of docs/authoring.md (between its markers) with the current reference. */
export function withManifestReference(doc: string, reference: string = manifestReference()): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/authoring.md lacks the markers ${START} ... ${END}`);
  return `${doc.slice(0, start)}${START}\n\n${reference}\n\n${doc.slice(end)}`;
}

export const REFERENCE_MARKERS = { START, END };
