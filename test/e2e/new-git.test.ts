import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BIN, envWithoutIdentity, tempDir } from "../helpers.js";
import { makeSource } from "../template-fixtures.js";

const OWNER = ["--set", "owner=team-payments"];
/** Author and committer named by the environment alone. */
const IDENTITY_A = {
  GIT_AUTHOR_NAME: "A",
  GIT_AUTHOR_EMAIL: "a@example.com",
  GIT_COMMITTER_NAME: "A",
  GIT_COMMITTER_EMAIL: "a@example.com",
};

/** `paved new service` with git, in `env` only (no inherited GIT_* variables); returns the target and the run. */
async function newService(env: Record<string, string>, format: "json" | "text" = "json") {
  const target = path.join(tempDir(), "svc");
  const result = await execa(
    process.execPath,
    [BIN, "new", "service", target, ...OWNER, "--no-install", ...(format === "json" ? ["--json"] : [])],
    { env, extendEnv: false, reject: false },
  );
  return { target, result };
}

/** The repository `paved new` made must be one git accepts as it is, committed and clean. */
async function expectSoundRepository(target: string, env: Record<string, string>, commit: string) {
  const plain = { cwd: target, env, extendEnv: false };
  const fsck = await execa("git", ["fsck", "--strict", "--no-dangling", "--full"], { ...plain, reject: false });
  expect(fsck.exitCode, fsck.stderr + fsck.stdout).toBe(0);
  expect(fsck.stderr + fsck.stdout).toBe("");
  expect((await execa("git", ["status", "--porcelain", "--untracked-files=all"], plain)).stdout).toBe("");
  expect((await execa("git", ["rev-parse", "HEAD"], plain)).stdout).toBe(commit);
  expect((await execa("git", ["rev-list", "--count", "HEAD"], plain)).stdout).toBe("1");
}

function identityOf(target: string, env: Record<string, string>) {
  return execa("git", ["log", "-1", "--format=%an <%ae>|%cn <%ce>"], { cwd: target, env, extendEnv: false }).then((r) => r.stdout);
}

describe("the repository paved new makes", () => {
  it("with an identity in git's config: fsck --strict passes, the tree is clean, author and committer are the user", async () => {
    const home = tempDir();
    const env = envWithoutIdentity(home);
    writeFileSync(path.join(home, ".gitconfig"), "[user]\n\tname = Config User\n\temail = config@example.com\n");
    const { target, result } = await newService(env);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/no git identity/);
    const summary = JSON.parse(result.stdout) as { git: { branch: string; commit: string } };
    expect(summary.git.commit).toMatch(/^[0-9a-f]{40}$/);
    await expectSoundRepository(target, env, summary.git.commit);
    expect(await identityOf(target, env)).toBe("Config User <config@example.com>|Config User <config@example.com>");
  });

  it("with the identity in GIT_AUTHOR_* and GIT_COMMITTER_* only: those, and no fallback", async () => {
    const env = {
      ...envWithoutIdentity(tempDir()),
      GIT_AUTHOR_NAME: "Env Author",
      GIT_AUTHOR_EMAIL: "author@example.com",
      GIT_COMMITTER_NAME: "Env Committer",
      GIT_COMMITTER_EMAIL: "committer@example.com",
    };
    const { target, result } = await newService(env);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/no git identity/);
    await expectSoundRepository(target, env, JSON.parse(result.stdout).git.commit);
    expect(await identityOf(target, env)).toBe("Env Author <author@example.com>|Env Committer <committer@example.com>");
  });

  it("with no identity at all: paved is author and committer, and it says so", async () => {
    const env = envWithoutIdentity(tempDir());
    // Not --json: its one JSON object carries no warnings, and this one must be said.
    const { target, result } = await newService(env, "text");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/no git identity is configured; the first commit is by paved <paved@localhost>/);
    const short = /git main @ ([0-9a-f]{7})/.exec(result.stdout)?.[1] ?? "none";
    const head = (await execa("git", ["rev-parse", "HEAD"], { cwd: target, env, extendEnv: false })).stdout;
    expect(head.startsWith(short), `${head} is not the ${short} paved printed`).toBe(true);
    await expectSoundRepository(target, env, head);
    expect(await identityOf(target, env)).toBe("paved <paved@localhost>|paved <paved@localhost>");
  });

  it("with only the author in the environment: the author is kept and the unknown committer is paved, not a guess", async () => {
    const env = { ...envWithoutIdentity(tempDir()), GIT_AUTHOR_NAME: "Env Author", GIT_AUTHOR_EMAIL: "author@example.com" };
    const { target, result } = await newService(env);
    expect(result.exitCode, result.stderr).toBe(0);
    await expectSoundRepository(target, env, JSON.parse(result.stdout).git.commit);
    expect(await identityOf(target, env)).toBe("Env Author <author@example.com>|paved <paved@localhost>");
  });

  it("runs git five times: two questions, then init, add and commit (no rev-parse, no maintenance)", async () => {
    const bin = tempDir();
    const log = path.join(bin, "git.log");
    const real = (await execa("sh", ["-c", "command -v git"])).stdout.trim();
    // One line a call (the commit message's own lines are left out).
    writeFileSync(path.join(bin, "git"), `#!/bin/sh\nprintf '%s\\n' "$*" | head -n 1 >> '${log}'\nexec '${real}' "$@"\n`);
    chmodSync(path.join(bin, "git"), 0o755);
    const base = envWithoutIdentity(tempDir());
    const env = { ...base, PATH: `${bin}${path.delimiter}${base.PATH ?? ""}`, ...IDENTITY_A };
    const { target, result } = await newService(env);
    expect(result.exitCode, result.stderr).toBe(0);
    const calls = readFileSync(log, "utf8").trim().split("\n");
    expect(calls, calls.join("\n")).toHaveLength(5);
    // The two questions run at once, in either order; then the three steps that make the repository.
    expect(
      calls
        .slice(0, 2)
        .map((c) => c.split(" ")[0])
        .sort(),
    ).toEqual(["config", "rev-parse"]);
    expect(calls.slice(2).map((c) => c.replace(/^(-c \S+ )*/, "").split(" ")[0])).toEqual(["init", "add", "commit"]);
    expect(calls[4]).toMatch(/^-c maintenance\.auto=false /);
    await expectSoundRepository(target, env, JSON.parse(result.stdout).git.commit);
  });

  it("git's own rules decide what the first commit holds: .gitattributes converts, .gitignore leaves out", async () => {
    const env = { ...envWithoutIdentity(tempDir()), ...IDENTITY_A };
    const source = makeSource({
      rules: {
        "1.0.0": {
          files: {
            ".gitattributes": "*.txt text eol=lf\n",
            ".gitignore": ".env\n",
            "notes.txt": "one\r\ntwo\r\n",
            ".env": "LOCAL=1\n",
            "big.md": `${"a line of the service's readme\n".repeat(2000)}`,
          },
        },
      },
    });
    const target = path.join(tempDir(), "svc");
    const result = await execa(process.execPath, [BIN, "new", "rules", target, "--source", source, "--yes", "--no-install", "--json"], {
      env,
      extendEnv: false,
      reject: false,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const plain = { cwd: target, env, extendEnv: false };
    // Stored with LF as .gitattributes asks; the working tree keeps the bytes paved wrote.
    expect((await execa("git", ["cat-file", "-p", "HEAD:notes.txt"], { ...plain, stripFinalNewline: false })).stdout).toBe("one\ntwo\n");
    expect(readFileSync(path.join(target, "notes.txt"), "utf8")).toBe("one\r\ntwo\r\n");
    const tracked = (await execa("git", ["ls-tree", "-r", "--name-only", "HEAD"], plain)).stdout.split("\n");
    expect(tracked).toContain("big.md");
    expect(tracked).not.toContain(".env");
    expect(readFileSync(path.join(target, ".env"), "utf8")).toBe("LOCAL=1\n");
    const fsck = await execa("git", ["fsck", "--strict", "--no-dangling", "--full"], { ...plain, reject: false });
    expect(fsck.exitCode, fsck.stderr + fsck.stdout).toBe(0);
  });
});
