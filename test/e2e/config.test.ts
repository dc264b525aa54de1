// Issue 17, org configuration: `.pavedrc.yml`, the user config and the org config (PAVED_CONFIG) with `defaults`,
// `cli`, `trust` and `verify`; `paved config --json` provenance; trust only from the user/org file;
// minPavedVersion enforced by new, upgrade, doctor and fleet; invalid config refused (exit 2, file + field + fix).
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { normalizeTrustSpec } from "../../src/config.js";
import { git, runCli, snapshotDir, tempDir, writeFiles } from "../helpers.js";
import { makeSource } from "../template-fixtures.js";

const STACK = /\n\s+at .*\.js:\d+/;
const HOOK = { run: ["node", "-e", "require('node:fs').writeFileSync('hook-ran', 'yes')"] };

/** A small template that uses an org default, {{paved.cli*}} and a hook that leaves a marker. */
function demoManifest(extra: Record<string, unknown> = {}) {
  return {
    questions: [
      { name: "name", type: "input", message: "Name", default: "{{paved.dirName}}", required: true, pattern: "^[a-z][a-z0-9-]*$" },
      { name: "owner", type: "input", message: "Owner", required: true },
      {
        name: "repository",
        type: "input",
        message: "Repository",
        default: "https://github.com/{{owner}}/{{name}}",
        pattern: "^https://\\S+$",
        patternHint: "must be an https URL",
      },
    ],
    hooks: { postCreate: [HOOK] },
    ...extra,
  };
}
const DEMO_FILES = {
  "README.md":
    "{{name}} by {{owner}} at {{repository}}\ncli {{paved.cli}} package {{paved.cliPackage}} version {{paved.cliVersion}} pin {{paved.cliPin}}\n",
};

/** A world: a root holding the user's XDG config, a project folder (cwd) and a template source. */
function world(manifest: Record<string, unknown> = demoManifest()) {
  const root = tempDir("paved-config-");
  const xdg = path.join(root, "xdg");
  const project = path.join(root, "project");
  mkdirSync(project, { recursive: true });
  const source = makeSource({ demo: { "1.0.0": { manifest, files: DEMO_FILES } } }, path.join(root, "templates"));
  const userFile = path.join(xdg, "paved", "config.yml");
  const env = { XDG_CONFIG_HOME: xdg, HOME: root, PAVED_SOURCE: undefined, PAVED_CONFIG: undefined };
  return { root, xdg, project, source, userFile, env };
}

type World = ReturnType<typeof world>;

function userConfig(w: World, text: string): void {
  writeFiles(w.xdg, { "paved/config.yml": text });
}

function newDemo(w: World, extra: string[] = [], env: Record<string, string | undefined> = {}) {
  return runCli(["new", "demo", "svc", "--source", w.source, "--set", "owner=team-a", "--no-git", ...extra], {
    cwd: w.project,
    env: { ...w.env, ...env },
  });
}

/** Exit 2, the one-line message (first line matches), a fix, no stack trace, and nothing written. */
async function expectRefused(w: World, run: () => Promise<{ exitCode?: number; stderr: string }>, message: RegExp, hint?: RegExp) {
  const before = snapshotDir(w.root);
  const result = await run();
  expect(result.exitCode, result.stderr).toBe(2);
  expect(result.stderr).not.toMatch(STACK);
  const error = result.stderr.split("\n").find((l) => l.startsWith("error: "));
  expect(error, result.stderr).toMatch(message);
  if (hint) expect(result.stderr).toMatch(hint);
  expect(snapshotDir(w.root)).toEqual(before);
  return result;
}

/** The same refusal with --json: exit 2, nothing written, and the error object (code, fields) from stdout. */
async function jsonRefusal(w: World, run: () => Promise<{ exitCode?: number; stdout: string }>) {
  const before = snapshotDir(w.root);
  const result = await run();
  expect(result.exitCode, result.stdout).toBe(2);
  expect(snapshotDir(w.root)).toEqual(before);
  return JSON.parse(result.stdout).error;
}

describe("paved config --json: the effective configuration and where each value came from", () => {
  it("project over user over org, PAVED_SOURCE over every file, defaults merged per question, trust from user and org only", async () => {
    const w = world();
    const org = path.join(w.root, "org", "paved.yml");
    writeFiles(w.root, {
      "org/paved.yml":
        'verify: true\ncli: "@acme/paved@1.4.2"\ntrust: [https://git.example.com/platform/templates.git]\ndefaults: { demo: { owner: team-org, repository: "https://org.example.com/{{name}}" } }\n',
      "project/.pavedrc.yml": "source: ./golden\ndefaults: { demo: { owner: team-project } }\ntrust: [/anything]\n",
    });
    userConfig(
      w,
      'cli: { package: "@acme/paved@1.5.0", pin: devDependency }\ntrust: [../../shared/templates]\ndefaults: { demo: { owner: team-user } }\n',
    );
    const deep = path.join(w.project, "services", "api");
    mkdirSync(deep, { recursive: true });
    const env = { ...w.env, PAVED_CONFIG: org };

    const result = await runCli(["config", "--json"], { cwd: deep, env });
    expect(result.exitCode, result.stderr).toBe(0);
    const config = JSON.parse(result.stdout);
    const projectFile = path.join(w.project, ".pavedrc.yml");
    expect(config.files).toEqual([
      { kind: "project", file: projectFile },
      { kind: "user", file: w.userFile },
      { kind: "org", file: org },
    ]);
    expect(config.source).toEqual({ value: path.join(w.project, "golden"), from: projectFile });
    expect(config.verify).toEqual({ value: true, from: org });
    expect(config.cli).toEqual({
      value: { package: "@acme/paved", version: "1.5.0", spec: "@acme/paved@1.5.0", pin: "devDependency" },
      from: w.userFile,
    });
    expect(config.defaults).toEqual({
      demo: {
        owner: { value: "team-project", from: projectFile },
        repository: { value: "https://org.example.com/{{name}}", from: org },
      },
    });
    expect(config.trust).toEqual([
      { value: path.join(w.root, "shared", "templates"), from: w.userFile },
      { value: "https://git.example.com/platform/templates.git", from: org },
    ]);
    expect(config.warnings).toEqual([expect.stringContaining(`${projectFile}: trust is ignored`)]);

    const withEnv = JSON.parse(
      (await runCli(["config", "--json"], { cwd: deep, env: { ...env, PAVED_SOURCE: "https://git.example.com/x.git" } })).stdout,
    );
    expect(withEnv.source).toEqual({ value: "https://git.example.com/x.git", from: "PAVED_SOURCE" });

    const human = await runCli(["config"], { cwd: deep, env });
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toContain(`cli        @acme/paved@1.5.0 (pin: devDependency)  (from ${w.userFile})`);
    expect(human.stderr).toContain("trust is ignored");
  });

  it("with no config file every value is the built-in default: paved's own package and version", async () => {
    const w = world();
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    const config = JSON.parse((await runCli(["config", "--json"], { cwd: w.project, env: w.env })).stdout);
    expect(config.files).toEqual([]);
    expect(config.cli).toEqual({
      value: { package: pkg.name, version: pkg.version, spec: `${pkg.name}@${pkg.version}`, pin: "npx" },
      from: "default",
    });
    expect(config.source).toEqual({ value: "builtin", from: "default" });
    expect(config.trust).toEqual([]);
  });
});

describe("defaults: org answer defaults", () => {
  it("replace the manifest's default, render with the other answers, and yield to --set", async () => {
    const w = world();
    userConfig(w, 'defaults:\n  demo:\n    repository: "https://git.example.com/{{owner}}/{{name}}"\n');
    const made = await newDemo(w, ["--trust"]);
    expect(made.exitCode, made.stderr).toBe(0);
    expect(readFileSync(path.join(w.project, "svc", "README.md"), "utf8")).toContain(
      "svc by team-a at https://git.example.com/team-a/svc\n",
    );
    expect(readFileSync(path.join(w.project, "svc", ".paved.yml"), "utf8")).toContain("repository: https://git.example.com/team-a/svc");

    const other = world();
    userConfig(other, 'defaults:\n  demo:\n    repository: "https://git.example.com/{{owner}}/{{name}}"\n');
    const overridden = await newDemo(other, ["--trust", "--set", "repository=https://elsewhere.example.com/x"]);
    expect(overridden.exitCode, overridden.stderr).toBe(0);
    expect(readFileSync(path.join(other.project, "svc", "README.md"), "utf8")).toContain("at https://elsewhere.example.com/x\n");
  });

  it("are still validated against the question: a bad one is refused naming the config file and field", async () => {
    const w = world();
    userConfig(w, 'defaults:\n  demo:\n    repository: "ftp://{{owner}}"\n');
    await expectRefused(
      w,
      () => newDemo(w, ["--trust"]),
      new RegExp(`${escapeRegExp(w.userFile)}: defaults\\.demo\\.repository: "ftp://team-a" for repository: must be an https URL`),
      /fix it there, or pass --set repository=/,
    );
    // The config file is data (fields.file), not only text: the one line is built from it.
    expect(await jsonRefusal(w, () => newDemo(w, ["--trust", "--json"]))).toMatchObject({
      message: `${w.userFile}: defaults.demo.repository: "ftp://team-a" for repository: must be an https URL`,
      code: "invalid-answer",
      fields: { file: w.userFile, variable: "repository" },
    });
  });

  it("a default that does not render is refused naming the config file as fields.file", async () => {
    const w = world();
    userConfig(w, 'defaults:\n  demo:\n    repository: "https://x/{{#if}}"\n');
    const human = await expectRefused(
      w,
      () => newDemo(w, ["--trust"]),
      new RegExp(`^error: ${escapeRegExp(w.userFile)}: defaults\\.demo\\.repository: `),
    );
    const error = await jsonRefusal(w, () => newDemo(w, ["--trust", "--json"]));
    expect(error.fields).toEqual({ file: w.userFile, variable: "repository" });
    expect(human.stderr.split("\n").find((l) => l.startsWith("error: "))).toBe(`error: ${error.message}`);
    expect(error.hint).toContain(`fix it in ${w.userFile}`);
  });

  it("a default for a question the version does not ask is a warning, not a failure", async () => {
    const w = world();
    userConfig(w, "defaults:\n  demo:\n    colour: blue\n");
    const made = await newDemo(w, ["--trust"]);
    expect(made.exitCode, made.stderr).toBe(0);
    expect(made.stderr).toContain(`warning: ${w.userFile}: defaults.demo.colour: demo 1.0.0 has no such question; ignored`);
  });
});

describe("defaults in upgrade", () => {
  it("a question a newer version adds takes the org default", async () => {
    const w = world();
    const made = await newDemo(w, ["--trust"]);
    expect(made.exitCode, made.stderr).toBe(0);
    const service = path.join(w.project, "svc");
    await git(service, ["init", "-q", "-b", "main"]);
    await git(service, ["add", "-A"]);
    await git(service, ["commit", "-qm", "init"]);
    const withRegion = demoManifest({ hooks: {} });
    withRegion.questions.push({
      name: "region",
      type: "input",
      message: "Region",
      default: "eu-{{owner}}",
    } as (typeof withRegion.questions)[number]);
    makeSource({ demo: { "1.1.0": { manifest: withRegion, files: { ...DEMO_FILES, "region.txt": "{{region}}\n" } } } }, w.source);
    userConfig(w, 'defaults:\n  demo:\n    region: "us-{{owner}}"\n');
    const upgraded = await runCli(["upgrade", service], { cwd: w.project, env: w.env });
    expect(upgraded.exitCode, upgraded.stderr).toBe(0);
    expect(readFileSync(path.join(service, "region.txt"), "utf8")).toBe("us-team-a\n");
    expect(readFileSync(path.join(service, ".paved.yml"), "utf8")).toContain("region: us-team-a");
  });
});

describe("trust: sources whose hooks run without --trust", () => {
  it("a source the user config trusts runs its hooks without --trust, and says why", async () => {
    const w = world();
    userConfig(w, `trust:\n  - ${w.source}/\n`);
    const made = await newDemo(w);
    expect(made.exitCode, made.stderr).toBe(0);
    expect(readFileSync(path.join(w.project, "svc", "hook-ran"), "utf8")).toBe("yes");
    expect(made.stderr).toContain(`running the template's commands without --trust: trust: ${w.source}/ in ${w.userFile}`);
  });

  it("the org config (PAVED_CONFIG) may trust a source too; a path is compared after resolving symlinks", async () => {
    const w = world();
    const link = path.join(w.root, "link-to-templates");
    symlinkSync(w.source, link);
    writeFiles(w.root, { "org.yml": `trust: [${link}]\n` });
    const made = await newDemo(w, [], { PAVED_CONFIG: path.join(w.root, "org.yml") });
    expect(made.exitCode, made.stderr).toBe(0);
    expect(existsSync(path.join(w.project, "svc", "hook-ran"))).toBe(true);
  });

  it("a repository's own .pavedrc.yml cannot widen trust: warned, ignored, the hooks are refused and nothing is written", async () => {
    const w = world();
    writeFiles(w.project, { ".pavedrc.yml": `trust: [${w.source}]\n` });
    const refused = await expectRefused(w, () => newDemo(w), /would run commands:/, /pass --trust to run them/);
    expect(refused.stderr).toContain(`warning: ${path.join(w.project, ".pavedrc.yml")}: trust is ignored`);
    expect(refused.stderr).toContain("node -e");
  });

  it("a repository's own .pavedrc.yml cannot choose cli either: the package a service installs and its CI runs", async () => {
    const w = world();
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    const projectFile = path.join(w.project, ".pavedrc.yml");
    writeFiles(w.project, {
      ".pavedrc.yml": 'cli: { package: "evil@file:./evil.tgz", pin: devDependency }\ndefaults: { demo: { owner: team-project } }\n',
    });
    const made = await runCli(["new", "demo", "svc", "--source", w.source, "--trust", "--no-git"], { cwd: w.project, env: w.env });
    expect(made.exitCode, made.stderr).toBe(0);
    expect(made.stderr).toContain(`warning: ${projectFile}: cli is ignored`);
    // The rest of the project file still applies.
    expect(readFileSync(path.join(w.project, "svc", "README.md"), "utf8")).toBe(
      `svc by team-project at https://github.com/team-project/svc\ncli ${pkg.name}@${pkg.version} package ${pkg.name} version ${pkg.version} pin npx\n`,
    );
    const config = JSON.parse((await runCli(["config", "--json"], { cwd: w.project, env: w.env })).stdout);
    expect(config.cli.from).toBe("default");
    expect(config.warnings).toEqual([expect.stringContaining(`${projectFile}: cli is ignored`)]);
  });

  it("an untrusted source still needs --trust (the trust list names another source)", async () => {
    const w = world();
    userConfig(w, "trust: [https://git.example.com/platform/templates.git]\n");
    await expectRefused(w, () => newDemo(w), /would run commands:/);
  });

  it("compares URLs without credentials, query, fragment, trailing slash or .git, and scp-like as ssh", () => {
    expect(normalizeTrustSpec("https://bot:s3cret@Git.Example.com/acme/templates.git/")).toBe("https://git.example.com/acme/templates");
    expect(normalizeTrustSpec("https://git.example.com/acme/templates?ref=x#y")).toBe("https://git.example.com/acme/templates");
    expect(normalizeTrustSpec("git@github.com:acme/templates.git")).toBe(normalizeTrustSpec("ssh://git@github.com/acme/templates"));
    expect(normalizeTrustSpec("https://git.example.com/acme/templates")).not.toBe(
      normalizeTrustSpec("https://git.example.com/acme/templates-evil"),
    );
    expect(normalizeTrustSpec("http://git.example.com/acme/templates")).not.toBe(
      normalizeTrustSpec("https://git.example.com/acme/templates"),
    );
  });
});

describe("invalid configuration is refused: exit 2, file, field and fix, nothing written", () => {
  const cases: Array<[string, "user" | "project", string, RegExp, RegExp]> = [
    [
      "a range as cli version",
      "user",
      'cli: "@acme/paved@^1.4.0"\n',
      /config\.yml: cli: .*not an exact version/,
      /cli: "@acme\/paved@1\.4\.2"/,
    ],
    [
      "a cli without a version",
      "user",
      'cli: { package: "@acme/paved", pin: devDependency }\n',
      /config\.yml: cli.package: must be a package and an exact version/,
      /exact version/,
    ],
    ["an unknown pin", "user", 'cli: { package: "@acme/paved@1.4.2", pin: global }\n', /config\.yml: cli.pin: /, /pin: devDependency/],
    ["shell characters in cli", "user", 'cli: "paved@file:/tmp/x y.tgz"\n', /config\.yml: cli: .*may hold only/, /exact version/],
    [
      "trust that is not a list",
      "user",
      "trust: https://git.example.com/t.git\n",
      /config\.yml: trust: .*expected array/i,
      /a list of template sources/,
    ],
    [
      "a bad question name in defaults",
      "project",
      'defaults: { demo: { "bad-name": x } }\n',
      /\.pavedrc\.yml: defaults\.demo\.bad-name: .*question name/i,
      /defaults: \{ service:/,
    ],
    [
      "an unknown key",
      "project",
      "colour: blue\n",
      /\.pavedrc\.yml: unknown key "colour"/,
      /the keys are source, verify, defaults, cli and trust/,
    ],
  ];
  it.each(cases)("%s", async (_what, where, text, message, hint) => {
    const w = world();
    if (where === "user") userConfig(w, text);
    else writeFiles(w.project, { ".pavedrc.yml": text });
    await expectRefused(w, () => newDemo(w), message, hint);
    await expectRefused(w, () => runCli(["config"], { cwd: w.project, env: w.env }), message, hint);
  });

  it("PAVED_CONFIG naming a missing file", async () => {
    const w = world();
    await expectRefused(
      w,
      () => newDemo(w, [], { PAVED_CONFIG: path.join(w.root, "nope.yml") }),
      /PAVED_CONFIG=.*nope\.yml: no such file/,
      /unset it/,
    );
  });
});

describe("minPavedVersion: a template version that needs a newer paved is refused by new, upgrade, doctor and fleet", () => {
  const needsNewer = { minPavedVersion: "99.0.0" };

  it("new: exit 2 with the upgrade command from cli", async () => {
    const w = world(demoManifest(needsNewer));
    await expectRefused(
      w,
      () => newDemo(w, ["--trust"]),
      /^error: template demo 1\.0\.0 needs paved >= 99\.0\.0 \(this is \d+\.\d+\.\d+\S*\)$/,
      /npx --yes paved@99\.0\.0 <command>/,
    );
    userConfig(w, 'cli: { package: "@acme/paved@1.4.2", pin: devDependency }\n');
    await expectRefused(w, () => newDemo(w, ["--trust"]), /needs paved >= 99\.0\.0/, /npm install -D --save-exact @acme\/paved@99\.0\.0/);
  });

  /** A committed service on demo 1.0.0, and 1.1.0 (needing paved 99) in its source. */
  async function serviceWithNewerRelease() {
    const w = world(demoManifest());
    const made = await newDemo(w, ["--trust"]);
    expect(made.exitCode, made.stderr).toBe(0);
    const service = path.join(w.project, "svc");
    await git(service, ["init", "-q", "-b", "main"]);
    await git(service, ["add", "-A"]);
    await git(service, ["commit", "-qm", "init"]);
    makeSource({ demo: { "1.1.0": { manifest: demoManifest({ ...needsNewer, hooks: {} }), files: DEMO_FILES } } }, w.source);
    return { w, service };
  }

  it("upgrade and fleet upgrade: refused before anything changes", async () => {
    const { w, service } = await serviceWithNewerRelease();
    await expectRefused(
      w,
      () => runCli(["upgrade", service, "--trust"], { cwd: w.project, env: w.env }),
      /template demo 1\.1\.0 needs paved >= 99\.0\.0/,
      /npx --yes paved@99\.0\.0/,
    );
    // fleet upgrade checks the service's branch out and back: only git's reflogs may move.
    const withoutReflogs = () => Object.fromEntries(Object.entries(snapshotDir(w.root)).filter(([p]) => !p.includes("/.git/logs/")));
    const before = withoutReflogs();
    const fleet = await runCli(["fleet", "upgrade", service, "--in-place", "--format", "json"], { cwd: w.project, env: w.env });
    expect(fleet.exitCode, fleet.stderr).not.toBe(0);
    expect(fleet.stderr).not.toMatch(STACK);
    expect(fleet.stdout + fleet.stderr).toContain("needs paved >= 99.0.0");
    expect(withoutReflogs()).toEqual(before);
  });

  it("doctor and fleet report: refused for a service whose recorded version needs a newer paved", async () => {
    const { w, service } = await serviceWithNewerRelease();
    // The recorded version itself now asks for paved 99 (a directory source is not locked).
    makeSource({ demo: { "1.0.0": { manifest: demoManifest(needsNewer), files: DEMO_FILES } } }, w.source);
    await expectRefused(
      w,
      () => runCli(["doctor", service], { cwd: w.project, env: w.env }),
      /template demo 1\.0\.0 needs paved >= 99\.0\.0/,
      /npx --yes paved@99\.0\.0/,
    );
    const fleet = await runCli(["fleet", "report", service, "--format", "json", "--no-cache"], { cwd: w.project, env: w.env });
    expect(fleet.stderr).not.toMatch(STACK);
    expect(fleet.stdout + fleet.stderr).toContain("needs paved >= 99.0.0");
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
