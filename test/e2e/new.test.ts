import { chmodSync, existsSync, mkdirSync, symlinkSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { BIN, envWithoutIdentity, git, listFiles, runCli, snapshotDir, tempDir, writeFiles } from "../helpers.js";
import { makeSource } from "../template-fixtures.js";

const OWNER = ["--set", "owner=team-payments"];

/** An environment with no git identity at all: a fresh HOME and an empty global config. */
function siblings(dir: string): string[] {
  return readdirSync(path.dirname(dir));
}

describe("paved new", () => {
  it("creates the service: files, .paved.yml, one commit of everything on main, a summary", async () => {
    const target = path.join(tempDir(), "payments-api");
    const result = await runCli(["new", "service", target, ...OWNER, "--set", "database=postgres", "--no-install"]);
    expect(result.exitCode, result.stderr).toBe(0);
    const recorded = parse(readFileSync(path.join(target, ".paved.yml"), "utf8"));
    expect(recorded).toMatchObject({ template: "service", source: "builtin", version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    expect(recorded.answers).toMatchObject({ name: "payments-api", owner: "team-payments", database: "postgres", port: 8080 });
    expect(readFileSync(path.join(target, ".paved.yml"), "utf8")).toMatch(/^# Managed by paved/);

    const files = listFiles(target);
    expect(files).toContain("README.md");
    expect(files).toContain("CODEOWNERS");
    const tracked = (await git(target, ["ls-files"])).stdout.split("\n").sort();
    expect(tracked).toEqual(files);
    expect((await git(target, ["status", "--porcelain"])).stdout).toBe("");
    expect((await git(target, ["log", "--format=%s"])).stdout).toBe(`Create payments-api from service ${recorded.version}`);
    expect((await git(target, ["branch", "--show-current"])).stdout).toBe("main");

    expect(result.stdout).toMatch(/Created .*payments-api from service \d+\.\d+\.\d+: \d+ files, git main @ [0-9a-f]{7} in \d+\.\d s/);
    // Issue 17: the next step runs paved's exact version (cli), which works where `paved` is not on PATH.
    expect(result.stdout).toMatch(/Next steps:\n {2}cd .*payments-api\n[\s\S]*\n {2}npx --yes paved@\d+\.\d+\.\d+\S* doctor$/);
    expect(siblings(target)).toEqual(["payments-api"]);
  });

  it("uses the name answer as the directory when none is given", async () => {
    const cwd = tempDir();
    const result = await runCli(["new", "service", "--set", "name=billing", ...OWNER, "--no-install", "--no-git"], { cwd });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(path.join(cwd, "billing", ".paved.yml"))).toBe(true);
    expect(existsSync(path.join(cwd, "billing", ".git"))).toBe(false);
  });

  it("creates missing parent directories", async () => {
    const target = path.join(tempDir(), "a", "b", "svc-one");
    const result = await runCli(["new", "service", target, ...OWNER, "--no-install", "--no-git"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(path.join(target, ".paved.yml"))).toBe(true);
  });

  it("without a terminal, refuses a missing required answer at once, naming the flag, and writes nothing", async () => {
    const parent = tempDir();
    const target = path.join(parent, "svc");
    // stdin stays open: a CLI that waited for input would hit the timeout instead of exiting.
    const result = await runCli(["new", "service", target, "--no-install"], { stdin: "pipe", timeout: 20_000 });
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error: missing answer for "owner"/);
    expect(result.stderr).toMatch(/fix: pass --set owner=\.\.\. \(must be a team name/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(parent)).toEqual([]);
  });

  it.each([
    [["--set", "name=Bad_Name"], /`--set name=Bad_Name`: must be lowercase letters, digits and dashes, 3-40 characters/],
    [["--set", "port=http"], /`--set port=http`: must be a number/],
    [["--set", "ci=jenkins"], /`--set ci=jenkins`: must be one of: github, gitlab/],
    [["--set", "tier=7"], /`--set tier=7`: must be at most 3/],
    [["--set", "nope=1"], /--set "nope": the template has no such question/],
    [["--set", "broken"], /--set broken: expected key=value/],
    [["--version", "9.9.9"], /template "service" has no version 9\.9\.9/],
  ])("refuses invalid input %j with exit 2 and writes nothing", async (flags, message) => {
    const parent = tempDir();
    const result = await runCli(["new", "service", path.join(parent, "svc-x"), ...OWNER, ...flags, "--no-install"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/\nfix: /);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("refuses an unknown template, naming the known ones", async () => {
    const result = await runCli(["new", "servise", path.join(tempDir(), "x"), ...OWNER]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/unknown template "servise"/);
    expect(result.stderr).toMatch(/use one of: .*service/);
  });

  it("refuses an unknown flag with exit 2", async () => {
    const result = await runCli(["new", "service", "x", "--colour"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/unknown option '--colour'/);
  });

  it("refuses a non-empty target and leaves it untouched", async () => {
    const target = writeFiles(path.join(tempDir(), "svc"), { "keep.txt": "mine", "src/a.ts": "x" });
    const before = snapshotDir(path.dirname(target));
    const result = await runCli(["new", "service", target, ...OWNER, "--no-install"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/is not empty/);
    expect(snapshotDir(path.dirname(target))).toEqual(before);
  });

  it("accepts an existing empty directory", async () => {
    const target = writeFiles(path.join(tempDir(), "empty-svc"), { "": null });
    const result = await runCli(["new", "service", target, ...OWNER, "--no-install", "--no-git"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(path.join(target, ".paved.yml"))).toBe(true);
  });

  it("--dry-run lists the plan and writes nothing", async () => {
    const parent = tempDir();
    const result = await runCli(["new", "service", path.join(parent, "svc"), ...OWNER, "--dry-run"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Would create .*svc from service/);
    expect(result.stdout).toMatch(/create \.paved\.yml/);
    expect(result.stdout).toMatch(/Would run: npm install/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("--json prints exactly one JSON object, for success and for errors", async () => {
    const target = path.join(tempDir(), "json-svc");
    const ok = await runCli(["new", "service", target, ...OWNER, "--no-install", "--json"]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const body = JSON.parse(ok.stdout);
    expect(body).toMatchObject({ ok: true, template: "service", target, git: { branch: "main" } });
    expect(body.paths).toContain(".paved.yml");
    expect(body.files).toBe(body.paths.length);

    const bad = await runCli(["new", "service", path.join(tempDir(), "json-bad"), "--json"]);
    expect(bad.exitCode).toBe(2);
    expect(JSON.parse(bad.stdout)).toEqual({
      ok: false,
      error: {
        message: expect.stringMatching(/missing answer for "owner"/),
        hint: expect.stringMatching(/^pass --set owner=\.\.\./),
        code: "missing-answer",
        fields: { variable: "owner" },
      },
    });
  });

  it("a refusal carries its code and fields: --json gives them as data, the one line is built from them", async () => {
    const parent = tempDir();
    const answers = writeFiles(tempDir(), { "answers.yml": "owner: team-a\ntier: [1\n" });
    const file = path.join(answers, "answers.yml");
    const target = path.join(parent, "svc");
    const before = snapshotDir(parent);

    const json = await runCli(["new", "service", target, "--answers-file", file, "--no-install", "--json"]);
    expect(json.exitCode).toBe(2);
    const body = JSON.parse(json.stdout);
    expect(body).toEqual({
      ok: false,
      error: { message: expect.any(String), hint: expect.any(String), code: "user", fields: { file, line: expect.any(Number) } },
    });
    const { line } = body.error.fields;
    expect(body.error.message.startsWith(`${file}:${line}: `)).toBe(true);

    const human = await runCli(["new", "service", target, "--answers-file", file, "--no-install"]);
    expect(human.exitCode).toBe(2);
    expect(human.stderr).toBe(`error: ${body.error.message}\nfix: ${body.error.hint}`);
    expect(human.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);

    const flag = await runCli(["new", "service", target, "--set", "owner=team-a", "--remote=", "--no-install", "--json"]);
    expect(flag.exitCode).toBe(2);
    expect(JSON.parse(flag.stdout).error).toMatchObject({
      message: "--remote: must not be empty",
      code: "option",
      fields: { flag: "--remote" },
    });
    expect(snapshotDir(parent)).toEqual(before);
  });

  it("reads answers from a file, with --set winning", async () => {
    const dir = tempDir();
    const answers = writeFiles(dir, { "answers.yml": "owner: team-file\ntier: 1\ndescription: 'from: file'\n" });
    const target = path.join(dir, "from-file");
    const result = await runCli([
      "new",
      "service",
      target,
      "--answers-file",
      path.join(answers, "answers.yml"),
      "--set",
      "tier=3",
      "--no-install",
      "--no-git",
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(parse(readFileSync(path.join(target, ".paved.yml"), "utf8")).answers).toMatchObject({
      owner: "team-file",
      tier: 3,
      description: "from: file",
    });

    const broken = writeFiles(tempDir(), { "a.yml": "owner: [unclosed\n" });
    const refused = await runCli(["new", "service", path.join(dir, "other"), "--answers-file", path.join(broken, "a.yml")]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/a\.yml:\d+: /);
  });

  it("--remote adds origin and pushes the first commit to a bare repository", async () => {
    const dir = tempDir();
    const bare = path.join(dir, "remote.git");
    await execa("git", ["init", "--bare", "--quiet", bare]);
    const target = path.join(dir, "pushed-svc");
    const result = await runCli(["new", "service", target, ...OWNER, "--no-install", "--remote", bare]);
    expect(result.exitCode, result.stderr).toBe(0);
    const local = (await git(target, ["rev-parse", "HEAD"])).stdout;
    expect((await git(bare, ["rev-parse", "main"])).stdout).toBe(local);
    expect((await git(target, ["rev-parse", "--abbrev-ref", "main@{upstream}"])).stdout).toBe("origin/main");
  });

  it("a failing push leaves nothing behind", async () => {
    const dir = tempDir();
    const target = path.join(dir, "svc");
    const result = await runCli(["new", "service", target, ...OWNER, "--no-install", "--remote", path.join(dir, "no-such-remote.git")]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/could not push to/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("uses the configured init.defaultBranch and, with no git identity, commits as paved and says so", async () => {
    const home = tempDir();
    const env = envWithoutIdentity(home);
    writeFileSync(path.join(home, ".gitconfig"), "[init]\n\tdefaultBranch = trunk\n");
    const target = path.join(tempDir(), "svc");
    const result = await execa(process.execPath, [BIN, "new", "service", target, ...OWNER, "--no-install"], {
      env,
      extendEnv: false,
      reject: false,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/no git identity is configured; the first commit is by paved <paved@localhost>/);
    const plain = { cwd: target, env, extendEnv: false };
    expect((await execa("git", ["log", "--format=%an <%ae>"], plain)).stdout).toBe("paved <paved@localhost>");
    expect((await execa("git", ["branch", "--show-current"], plain)).stdout).toBe("trunk");
  });

  // Issue 16 changed this: a target inside a work tree used to be refused ("pass --no-git"); it is now added to that
  // repository (staged, no nested repository). test/e2e/monorepo.test.ts covers that mode in full.
  it("adds a target inside another repository's work tree to it, without a nested repository; --no-git lays it out on its own", async () => {
    const repo = tempDir();
    await git(repo, ["init", "--quiet"]);
    const result = await runCli(["new", "service", path.join(repo, "svc"), ...OWNER, "--set", "name=svc-one", "--no-install"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(path.join(repo, "svc", ".git"))).toBe(false);
    const staged = (await git(repo, ["diff", "--cached", "--name-only"])).stdout.split("\n");
    expect(staged).toContain("svc/.paved.yml");
    expect(staged).toContain(".github/workflows/svc-one-ci.yml");
    const again = await runCli(["new", "service", path.join(repo, "other"), ...OWNER, "--no-install", "--no-git"]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(existsSync(path.join(repo, "other", ".git"))).toBe(false);
    expect(existsSync(path.join(repo, "other", ".github", "workflows", "ci.yml"))).toBe(true);
  });

  it("removes a staging directory left by a killed run", async () => {
    const parent = tempDir();
    writeFiles(parent, { ".paved-staging-svc/pid": "999999", ".paved-staging-svc/tree/half.txt": "left by a SIGKILL" });
    const result = await runCli(["new", "service", path.join(parent, "svc"), ...OWNER, "--no-install", "--no-git"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readdirSync(parent)).toEqual(["svc"]);
  });

  it("removes a killed run's staging directory still under construction, with or without its pid file, and keeps a live run's", async () => {
    const parent = tempDir();
    // Killed before writing the pid file: only the name says whose it was.
    mkdirSync(path.join(parent, ".paved-staging-svc.new-999999-AbC123"));
    // Killed after writing it (a paved from before the pid was in the name, too).
    writeFiles(parent, { ".paved-staging-svc.new-XyZ789/pid": "999999" });
    const live = `.paved-staging-svc.new-${process.pid}-LiVe00`;
    mkdirSync(path.join(parent, live));
    const result = await runCli(["new", "service", path.join(parent, "svc"), ...OWNER, "--no-install", "--no-git"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readdirSync(parent).sort()).toEqual([live, "svc"]);
  });

  it("refuses while another live paved process is creating the same target", async () => {
    const parent = tempDir();
    writeFiles(parent, { ".paved-staging-svc/pid": String(process.pid), ".paved-staging-svc/tree/a.txt": "in progress" });
    const before = snapshotDir(parent);
    const result = await runCli(["new", "service", path.join(parent, "svc"), ...OWNER, "--no-install", "--no-git"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`another paved process \\(pid ${process.pid}\\) is creating`));
    expect(snapshotDir(parent)).toEqual(before);
  });

  it("refuses a target that is a symbolic link", async () => {
    const parent = tempDir();
    const elsewhere = tempDir();
    symlinkSync(elsewhere, path.join(parent, "svc"));
    const result = await runCli(["new", "service", path.join(parent, "svc"), ...OWNER, "--no-install", "--no-git"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/is a symbolic link/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it("honours NO_COLOR, FORCE_COLOR and --no-color", async () => {
    const args = ["new", "service", path.join(tempDir(), "x")];
    const forced = await runCli(args, { env: { NO_COLOR: "", FORCE_COLOR: "1" } });
    expect(forced.stderr).toContain("\u001b[");
    const noColor = await runCli(args, { env: { NO_COLOR: "1", FORCE_COLOR: "1" } });
    expect(noColor.stderr).not.toContain("\u001b[");
    const flag = await runCli([...args, "--no-color"], { env: { NO_COLOR: "", FORCE_COLOR: "1" } });
    expect(flag.stderr).not.toContain("\u001b[");
  });
});

describe("paved new with a template from another source", () => {
  const hookTemplate = (hooks: unknown[]) =>
    makeSource({
      tool: {
        "1.0.0": {
          manifest: {
            questions: [{ name: "name", type: "input", message: "Name", default: "{{paved.dirName}}" }],
            hooks: { postCreate: hooks },
          },
          files: {
            "README.md": "# {{name}}\n",
            "bin/run.sh": "#!/bin/sh\necho {{shell name}}\n",
            "assets/logo.bin": Buffer.from([0, 1, 2, 0x7b, 0x7b, 255]),
          },
        },
      },
    });

  it("refuses hooks without --trust, listing the exact commands", async () => {
    const source = hookTemplate(["touch from-hook.txt", { run: "echo hi && touch x", shell: true }]);
    const parent = tempDir();
    const result = await runCli(["new", "tool", path.join(parent, "t"), "--source", source]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("  touch from-hook.txt\n  echo hi && touch x\n");
    expect(result.stderr).toMatch(/fix: .*--trust/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("with --trust runs hooks in the staging directory before the first commit; keeps modes and binary bytes", async () => {
    const source = hookTemplate(["touch from-hook.txt"]);
    chmodSync(path.join(source, "tool/1.0.0/files/bin/run.sh"), 0o755);
    const target = path.join(tempDir(), "t");
    const result = await runCli(["new", "tool", target, "--source", source, "--trust"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain("$ touch from-hook.txt");
    expect((await git(target, ["ls-files", "-s"])).stdout).toMatch(/100755 [0-9a-f]+ 0\tbin\/run\.sh/);
    expect((await git(target, ["ls-files"])).stdout).toContain("from-hook.txt");
    expect(statSync(path.join(target, "bin/run.sh")).mode & 0o111).not.toBe(0);
    expect([...readFileSync(path.join(target, "assets/logo.bin"))]).toEqual([0, 1, 2, 0x7b, 0x7b, 255]);
    expect(path.resolve(target, parse(readFileSync(path.join(target, ".paved.yml"), "utf8")).source)).toBe(source);
  });

  it("a failing hook fails the run with exit 1 and leaves nothing behind", async () => {
    const source = hookTemplate([{ run: "echo about to fail >&2; exit 3", shell: true }]);
    const parent = tempDir();
    const result = await runCli(["new", "tool", path.join(parent, "t"), "--source", source, "--trust"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("about to fail");
    expect(result.stderr).toMatch(/hook `echo about to fail >&2; exit 3` exited with 3/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it.each(["SIGINT", "SIGTERM"] as const)("%s during a hook leaves neither target nor staging directory", async (signal) => {
    const source = hookTemplate([{ run: "touch started; sleep 30", shell: true }]);
    const parent = tempDir();
    const child = runCli(["new", "tool", path.join(parent, "t"), "--source", source, "--trust"]);
    const deadline = Date.now() + 15_000;
    while (
      Date.now() < deadline &&
      !readdirSync(parent).some((e) => e.startsWith(".paved-staging-") && existsSync(path.join(parent, e, "tree", "started")))
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill(signal);
    const result = await child;
    expect(result.exitCode).toBe(signal === "SIGINT" ? 130 : 143);
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe("help and version", () => {
  it.each([[[]], [["new"]], [["templates"]], [["templates", "list"]], [["templates", "show"]]])(
    "%j --help has an example",
    async (args) => {
      const result = await runCli([...args, "--help"]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/Examples:\n {2}\$ paved /);
    },
  );

  it("--version prints paved's version", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    const result = await runCli(["--version"]);
    expect(result.stdout.trim()).toBe(pkg.version);
  });
});

describe("defaults that fail validation", () => {
  it("names the default and the flag to pass", async () => {
    const result = await runCli(["new", "service", path.join(tempDir(), "x"), ...OWNER]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/error: name "x" \(the default\): must be lowercase/);
    expect(result.stderr).toMatch(/fix: pass --set name=/);
  });
});
