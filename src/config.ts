import { existsSync, readFileSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import semver from "semver";
import { z } from "zod";
import { UserError } from "./errors.js";
import { packageRootUrl } from "./package-root.js";
import { builtOnFirstUse, firstIssue, formatIssuePath } from "./validation.js";
import { parseConfigText, readConfigText } from "./yaml-file.js";

/** The project config, found upward from the working directory. */
export const PROJECT_CONFIG_FILE = ".pavedrc.yml";
/** An organisation's config file (e.g. on a shared mount, or set in CI images): a layer below the user's. */
export const ORG_CONFIG_ENV = "PAVED_CONFIG";

/** An npm package name, scoped or not (npm's rules: lowercase, URL-safe, at most 214 characters). */
const NPM_PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const TEMPLATE_KEY = /^[a-z0-9][a-z0-9-]*$/;
const ANSWER_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const CLI_PINS = ["npx", "devDependency"] as const;
export type CliPin = (typeof CLI_PINS)[number];

/**
 * What a generated repository runs to invoke paved. `version` is an exact semver version, or a tarball
 * (`file:` path or an https URL ending in .tgz) for registries-free set-ups and tests; never a range.
 */
export interface CliSpec {
  package: string;
  version: string;
  /** `<package>@<version>`: what `npx --yes` takes. */
  spec: string;
  pin: CliPin;
}

/** The schema of a config file; {@link configFileSchema} builds it on first use. */
function buildConfigFileSchema() {
  // The specific reason first (cliSpecProblem); the pattern is for editors (JSON Schema).
  const cliPackageSpec = z
    .string()
    .superRefine((text, ctx) => {
      const problem = cliSpecProblem(text);
      if (problem) ctx.addIssue({ code: "custom", message: problem, abort: true });
    })
    .regex(
      /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*@[\w@%+=:,./~-]+$/,
      "must be a package and an exact version, e.g. @acme/paved@1.4.2",
    );

  const answerDefault = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]);
  return z
    .object({
      $schema: z
        .string()
        .optional()
        .meta({ description: "JSON Schema for editors, e.g. paved's `schema/pavedrc.schema.json`. Ignored by paved." }),
      source: z.string().min(1).optional().meta({
        description:
          "The default template source: a git URL, a git repository path or a `<name>/<version>/` directory (a path is relative to this file). PAVED_SOURCE and --source override it.",
      }),
      verify: z
        .boolean()
        .optional()
        .meta({ description: "Run the template's `test:` commands after every `paved upgrade` (as `--verify`; `--no-verify` skips)." }),
      defaults: z
        .record(
          z.string().regex(TEMPLATE_KEY, "must be a template name (lowercase letters, digits and dashes)"),
          z.record(z.string().regex(ANSWER_KEY, "must be a question name"), answerDefault),
        )
        .optional()
        .meta({
          description:
            'Answer defaults per template, replacing the manifest\'s: `defaults: { service: { repository: "https://git.example.com/{{owner}}/{{name}}" } }`. Text is rendered with the earlier answers; the result is validated against the question; --set, answers files and prompts still override it.',
        }),
      cli: z
        .union([
          cliPackageSpec,
          z
            .object({
              package: cliPackageSpec.meta({
                description: "The package and exact version (or a `file:` / https `.tgz` tarball), e.g. `@acme/paved@1.4.2`.",
              }),
              pin: z.enum(CLI_PINS).optional().meta({
                description:
                  "`npx` (default): CI runs `npx --yes <package>@<version>`. `devDependency`: package.json pins it and CI runs `npx --no-install paved` after `npm ci`; the package must be installable where services install.",
              }),
            })
            .strict(),
        ])
        .optional()
        .meta({
          description:
            "How generated repositories invoke paved ({{paved.cli}}): `@acme/paved@1.4.2`, or `{ package, pin }`. Default: this paved's own package name and exact version, pin `npx`. Only the user config and the PAVED_CONFIG file may set it; in a project's .pavedrc.yml it is ignored with a warning.",
        }),
      trust: z.array(z.string().min(1, "must not be empty")).optional().meta({
        description:
          "Template sources (git URLs or paths) whose hooks, migrations and test commands run without --trust. Only the user config and the PAVED_CONFIG file may grant it; in a project's .pavedrc.yml it is ignored with a warning.",
      }),
    })
    .strict();
}

/** The schema of `.pavedrc.yml` and the user and org config files. */
export const configFileSchema = builtOnFirstUse(buildConfigFileSchema);

export type ConfigFile = z.infer<ReturnType<typeof buildConfigFileSchema>>;
type AnswerDefault = NonNullable<ConfigFile["defaults"]>[string][string];

/** What to write instead, per top-level field, for error hints. */
const FIELD_FIXES: Record<string, string> = {
  source: "e.g. `source: https://git.example.com/platform/service-template.git`",
  verify: "`verify: true` or `verify: false`",
  defaults: 'answer defaults per template, e.g. `defaults: { service: { repository: "https://git.example.com/{{owner}}/{{name}}" } }`',
  cli: 'a package and exact version, e.g. `cli: "@acme/paved@1.4.2"` or `cli: { package: "@acme/paved@1.4.2", pin: devDependency }`',
  trust: "a list of template sources whose hooks run without --trust, e.g. `trust: [https://git.example.com/platform/templates.git]`",
};
const ALL_FIELDS_FIX = "the keys are source, verify, defaults, cli and trust (see docs/config.md)";

/** Why `text` is not a usable package spec for `cli`, or undefined. */
export function cliSpecProblem(text: string): string | undefined {
  const at = specSeparator(text);
  if (at <= 0) return "must be a package and an exact version, e.g. @acme/paved@1.4.2";
  const name = text.slice(0, at);
  const version = text.slice(at + 1);
  if (!NPM_PACKAGE_NAME.test(name) || name.length > 214) return `${JSON.stringify(name)} is not an npm package name`;
  // It is written into CI files and shell commands verbatim: nothing there may need quoting.
  if (isTarballSpec(version))
    return /^[\w@%+=:,./~-]+$/.test(version) ? undefined : "a tarball path may hold only letters, digits and @ % + = : , . / ~ _ -";
  if (semver.valid(version) !== version)
    return `${JSON.stringify(version)} is not an exact version (a range or tag would let CI run a different paved)`;
  return undefined;
}

/** The `@` between package and version: the first after a scope's leading `@` (a tarball path may hold more). */
function specSeparator(text: string): number {
  return text.indexOf("@", 1);
}

function isTarballSpec(version: string): boolean {
  return version.startsWith("file:") || /^https:\/\/\S+\.tgz$/.test(version);
}

/** A checked spec string as parts. */
export function parseCliSpec(text: string, pin: CliPin = "npx"): CliSpec {
  const at = specSeparator(text);
  return { package: text.slice(0, at), version: text.slice(at + 1), spec: text, pin };
}

/** paved's own package name and version (package.json): the `cli` when no config names one. */
export function ownCliSpec(): CliSpec {
  const pkg = JSON.parse(readFileSync(new URL("package.json", packageRootUrl()), "utf8")) as { name: string; version: string };
  return parseCliSpec(`${pkg.name}@${pkg.version}`);
}

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
  const text = readConfigText(file, file, ALL_FIELDS_FIX);
  if (text === undefined) throw new UserError("cannot read: it is gone", { hint: "fix its permissions or remove it", fields: { file } });
  const data = parseConfigText(text, file, ALL_FIELDS_FIX) ?? {};
  const result = configFileSchema().safeParse(data);
  if (result.success) return result.data;
  const issue = innermostIssue(firstIssue(result.error), data);
  const field = formatIssuePath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `"${k}"`).join(", ");
    const where = field ? `${field}: ` : "";
    throw new UserError(`${where}unknown key${issue.keys.length > 1 ? "s" : ""} ${keys}`, {
      hint: field ? (FIELD_FIXES[String(issue.path[0])] ?? ALL_FIELDS_FIX) : ALL_FIELDS_FIX,
      fields: { file },
    });
  }
  const top = String(issue.path[0] ?? "");
  throw new UserError(`${field || "(top level)"}: ${issue.message}`, { hint: FIELD_FIXES[top] ?? ALL_FIELDS_FIX, fields: { file } });
}

/**
 * The issue to report, with its full path: for a union (`cli`: a string or an object), the alternative whose
 * type the value has; for a record key, the key's own problem.
 */
function innermostIssue(issue: z.core.$ZodIssue, data: unknown): z.core.$ZodIssue {
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const errors: readonly z.core.$ZodIssue[][] = issue.errors;
    const branches = errors.filter((branch): branch is [z.core.$ZodIssue, ...z.core.$ZodIssue[]] => branch.length > 0);
    const matching = branches.find((branch) => !(branch[0].code === "invalid_type" && branch[0].path.length === 0)) ?? branches[0];
    if (matching) return innermostIssue({ ...matching[0], path: [...issue.path, ...matching[0].path] } as z.core.$ZodIssue, data);
  }
  if (issue.code === "invalid_key") {
    const [keyIssue] = issue.issues;
    if (keyIssue !== undefined) return { ...keyIssue, path: issue.path } as z.core.$ZodIssue;
  }
  return issue;
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
 * One config file. `project` is a `.pavedrc.yml` found upward (it may come with a cloned repository, so it
 * cannot grant trust); `user` is `$XDG_CONFIG_HOME/paved/config.yml`; `org` is the file PAVED_CONFIG names.
 */
export interface ConfigLayer {
  kind: "project" | "user" | "org";
  file: string;
  config: ConfigFile;
}

/** The config files that apply in `cwd`, highest precedence first: project, user, org. */
export function configLayers(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): ConfigLayer[] {
  const layers: ConfigLayer[] = [];
  const project = findProjectConfig(cwd);
  if (project) layers.push({ kind: "project", file: project, config: readConfigFile(project) });
  const user = userConfigFile(env);
  if (existsSync(user)) layers.push({ kind: "user", file: user, config: readConfigFile(user) });
  const org = env[ORG_CONFIG_ENV];
  if (org) {
    const file = path.resolve(org);
    if (!existsSync(file))
      throw new UserError(`${ORG_CONFIG_ENV}=${org}: no such file`, {
        hint: `point ${ORG_CONFIG_ENV} at the organisation's config file, or unset it`,
      });
    layers.push({ kind: "org", file, config: readConfigFile(file) });
  }
  return layers;
}

/** A value and where it came from: a config file's path, an environment variable, or `default`. */
export interface Sourced<T> {
  value: T;
  from: string;
}

export interface EffectiveConfig {
  /** Every config file read, highest precedence first. */
  files: Array<{ kind: ConfigLayer["kind"]; file: string }>;
  source: Sourced<string> | undefined;
  verify: Sourced<boolean>;
  cli: Sourced<CliSpec>;
  /** Per template, per question: the answer default that replaces the manifest's. */
  defaults: Record<string, Record<string, Sourced<AnswerDefault>>>;
  /** Sources whose hooks run without --trust, as written (paths resolved against their file). */
  trust: Array<Sourced<string>>;
  /** Things the config said that paved did not take (a project file's `trust` or `cli`). */
  warnings: string[];
}

/**
 * The configuration in effect in `cwd`. Precedence: flags (applied by each command) > environment
 * (PAVED_SOURCE) > the project file > the user file > the org file (PAVED_CONFIG) > built-in. `defaults`
 * merge per question; `trust` is the union of the user and org files only, and `cli` comes from them only:
 * both choose code that runs (a trusted source's hooks; the package a service installs and its CI runs), and a
 * project file may come with any cloned repository.
 */
export function effectiveConfig(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): EffectiveConfig {
  const layers = configLayers(cwd, env);
  const warnings: string[] = [];
  const machineOnly = (key: "trust" | "cli", what: string) => {
    for (const layer of layers) {
      if (layer.kind !== "project" || layer.config[key] === undefined) continue;
      warnings.push(
        `${layer.file}: ${key} is ignored: a project's .pavedrc.yml (it may come with a cloned repository) cannot choose ${what}; put ${key} in ${userConfigFile(env)} or the file ${ORG_CONFIG_ENV} names`,
      );
    }
  };
  machineOnly("trust", "whose commands paved runs");
  machineOnly("cli", "the paved package new services install and run");
  const first = <T>(pick: (c: ConfigFile) => T | undefined, machine = false): Sourced<T> | undefined => {
    for (const layer of layers) {
      if (machine && layer.kind === "project") continue;
      const value = pick(layer.config);
      if (value !== undefined) return { value, from: layer.file };
    }
    return undefined;
  };
  const sourceFromFile = first((c) => c.source);
  const source = env.PAVED_SOURCE
    ? { value: env.PAVED_SOURCE, from: "PAVED_SOURCE" }
    : sourceFromFile && { value: resolveFromFile(sourceFromFile.value, sourceFromFile.from), from: sourceFromFile.from };
  const cliFromFile = first((c) => c.cli, true);
  const cli = cliFromFile
    ? {
        value:
          typeof cliFromFile.value === "string"
            ? parseCliSpec(cliFromFile.value)
            : parseCliSpec(cliFromFile.value.package, cliFromFile.value.pin),
        from: cliFromFile.from,
      }
    : { value: ownCliSpec(), from: "default" };
  if (cli.value.version.startsWith("file:") && cli.from !== "default") {
    const tarball = cli.value.version.slice("file:".length);
    cli.value = parseCliSpec(`${cli.value.package}@file:${path.resolve(path.dirname(cli.from), tarball)}`, cli.value.pin);
  }

  const defaults: EffectiveConfig["defaults"] = {};
  for (const layer of [...layers].reverse()) {
    for (const [template, answers] of Object.entries(layer.config.defaults ?? {})) {
      defaults[template] ??= {};
      const into = defaults[template];
      for (const [name, value] of Object.entries(answers)) into[name] = { value, from: layer.file };
    }
  }

  const trust: Array<Sourced<string>> = [];
  for (const layer of layers) {
    if (layer.kind === "project") continue;
    for (const entry of layer.config.trust ?? []) trust.push({ value: resolveFromFile(entry, layer.file), from: layer.file });
  }

  return {
    files: layers.map(({ kind, file }) => ({ kind, file })),
    source,
    verify: first((c) => c.verify) ?? { value: false, from: "default" },
    cli,
    defaults,
    trust,
    warnings,
  };
}

/**
 * The organisation's default source: PAVED_SOURCE, else `source:` in the nearest `.pavedrc.yml`,
 * else in the user config (`$XDG_CONFIG_HOME/paved/config.yml`), else in the org config (PAVED_CONFIG);
 * undefined means the built-in templates.
 */
export function defaultSource(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): DefaultSource | undefined {
  if (env.PAVED_SOURCE) return { spec: env.PAVED_SOURCE, from: "PAVED_SOURCE" };
  const { source } = effectiveConfig(cwd, env);
  return source && { spec: source.value, from: source.from };
}

/** `verify: true` in the nearest `.pavedrc.yml` (from the service directory up), else in the user or org config. */
export function verifyByDefault(serviceDir: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return effectiveConfig(serviceDir, env).verify.value;
}

/**
 * A source as compared for trust: a URL without credentials, query, fragment, trailing slash or `.git`, its
 * scheme and host in lower case (scp-like `git@host:org/repo` as `ssh://host/org/repo`); a path with its
 * symlinks resolved.
 */
export function normalizeTrustSpec(spec: string): string {
  const scp = /^[^/\\@:\s]+@([^/\\:\s]+):(.*)$/.exec(spec);
  let text = scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(spec) ? `ssh://${scp[1]}/${scp[2]}` : spec;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    try {
      const url = new URL(text);
      url.username = "";
      url.password = "";
      url.search = "";
      url.hash = "";
      text = url.toString();
    } catch {
      // not a URL the WHATWG parser knows: compared as written
    }
    return text
      .replace(/\/+$/, "")
      .replace(/\.git$/, "")
      .replace(/\/+$/, "");
  }
  const resolved = path.resolve(text);
  try {
    return realpathSync(resolved);
  } catch {
    return resolved;
  }
}

/** The trust entry that covers the source `sourceId` (a URL or a path), or undefined. */
export function trustEntryFor(sourceId: string, trust: ReadonlyArray<Sourced<string>>): Sourced<string> | undefined {
  const wanted = normalizeTrustSpec(sourceId);
  return trust.find((entry) => normalizeTrustSpec(entry.value) === wanted);
}

/** `{{paved.cli}}` and friends: how a generated repository invokes paved (see docs/config.md). */
export interface CliRenderMeta {
  /** `<package>@<version>`, what `npx --yes` takes, e.g. `@acme/paved@1.4.2`. */
  cli: string;
  /** The package name, the key of the devDependency, e.g. `@acme/paved`. */
  cliPackage: string;
  /** The exact version (or tarball) the devDependency pins, e.g. `1.4.2`. */
  cliVersion: string;
  /** `devDependency`: the service's package.json pins paved and CI runs `npx --no-install paved`; `npx`: CI runs `npx --yes <cli>`. */
  cliPin: CliPin;
}

export function cliRenderMetaOf(spec: CliSpec): CliRenderMeta {
  return { cli: spec.spec, cliPackage: spec.package, cliVersion: spec.version, cliPin: spec.pin };
}

const cliMetaCache = new Map<string, CliRenderMeta>();

/** The `cli` in effect where paved runs (config files do not change during a run, so it is read once per place). */
export function cliRenderMeta(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): CliRenderMeta {
  const key = JSON.stringify([path.resolve(cwd), env.XDG_CONFIG_HOME ?? "", env.HOME ?? "", env[ORG_CONFIG_ENV] ?? ""]);
  let meta = cliMetaCache.get(key);
  if (!meta) {
    meta = cliRenderMetaOf(effectiveConfig(cwd, env).cli.value);
    cliMetaCache.set(key, meta);
  }
  return meta;
}

/** The command that runs the configured paved inside a generated repository (for next steps and messages). */
export function pavedCommandIn(meta: CliRenderMeta): string {
  return meta.cliPin === "devDependency" ? "npx --no-install paved" : `npx --yes ${meta.cli}`;
}

/** `paved.cli*` for paved's own package, whatever the config says (tests, and what `cli` defaults to). */
export function builtinCliRenderMeta(): CliRenderMeta {
  return cliRenderMetaOf(ownCliSpec());
}

/** Where a configured default is set, as error fields take it: the file, and the field within it. */
export interface DefaultOrigin {
  file: string;
  field: string;
}

/** A template's questions with the config's `defaults` in place of the manifest's, and where each came from. */
export interface ConfiguredQuestions<Q> {
  questions: Q[];
  /** Question name -> where its default is set: the config file and `defaults.<template>.<question>`. */
  origins: Map<string, DefaultOrigin>;
  /** `defaults.<template>.<name>` entries this version has no question for (said as a warning). */
  unused: string[];
}

export function withConfiguredDefaults<Q extends { name: string; default?: unknown }>(
  template: string,
  questions: readonly Q[],
  config: Pick<EffectiveConfig, "defaults">,
): ConfiguredQuestions<Q> {
  const configured = config.defaults[template] ?? {};
  const origins = new Map<string, DefaultOrigin>();
  const out = questions.map((q) => {
    const entry = configured[q.name];
    if (!entry) return q;
    origins.set(q.name, { file: entry.from, field: `defaults.${template}.${q.name}` });
    return { ...q, default: entry.value };
  });
  const names = new Set(questions.map((q) => q.name));
  const unused = Object.entries(configured)
    .filter(([name]) => !names.has(name))
    .map(([name, entry]) => `${entry.from}: defaults.${template}.${name}`);
  return { questions: out, origins, unused };
}

/** Whether the user or org config trusts `sourceId`; `by` names the file and entry, for the line that says so. */
export function configTrust(sourceId: string, config: Pick<EffectiveConfig, "trust">): { trusted: boolean; by?: string } {
  const entry = trustEntryFor(sourceId, config.trust);
  return entry ? { trusted: true, by: `trust: ${entry.value} in ${entry.from}` } : { trusted: false };
}

export const CONFIG_SCHEMA_ID = "https://github.com/paved-dev/paved/schema/pavedrc.schema.json";

/** The JSON Schema of `.pavedrc.yml` and the user/org config (the zod schema's input side), for editors. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configFileSchema(), { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: CONFIG_SCHEMA_ID,
    title: "paved configuration",
    description: "`.pavedrc.yml` (found upward), `$XDG_CONFIG_HOME/paved/config.yml` and the file PAVED_CONFIG names. See docs/config.md.",
    ...schema,
  };
}
