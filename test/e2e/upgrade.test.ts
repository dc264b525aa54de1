import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { BIN, CLI_ENV, envWithoutIdentity, git, runCli, snapshotDir, tempDir } from "../helpers.js";
import { BASE_QUESTIONS, commitAll, makeSource, newService } from "../upgrade/fixtures.js";

const read = (dir: string, p: string) => readFileSync(path.join(dir, p), "utf8");
const write = (dir: string, p: string, text: string | Buffer) => {
  mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
  writeFileSync(path.join(dir, p), text);
};
const worktree = (dir: string) =>
  Object.fromEntries(Object.entries(snapshotDir(dir)).filter(([k]) => !k.startsWith(".git/") && k !== ".git/"));

/** One upgrade that exercises every per-file rule at once. */
function rulesSource(): string {
  return makeSource({
    "1.0.0": {
      manifest: { files: { managed: ["ci.yml"] } },
      files: {
        "README.md": "# {{name}}\n\nIntro.\n\nMore text here.\nAnd here.\n\n## Usage\n\nRun it.\n",
        "config.yml": "port: 8080\nlog: info\n",
        "untouched.txt": "v1\n",
        "team-only-edit.txt": "keep\n",
        "removed.txt": "bye\n",
        "removed-edited.txt": "bye\n",
        "team-deleted.txt": "x\n",
        "logo.bin": Buffer.from([0, 1, 2]),
        "icon.bin": Buffer.from([0, 1, 2]),
        "run.sh": "echo run\n",
        "ci.yml": "steps: [test]\n",
      },
    },
    "1.1.0": {
      manifest: { files: { managed: ["ci.yml"] } },
      files: {
        "README.md": "# {{name}}\n\nIntro.\n\nMore text here.\nAnd here.\n\n## Usage\n\nRun it with `npm start`.\n",
        "config.yml": "port: 9090\nlog: info\n",
        "untouched.txt": "v2\n",
        "team-only-edit.txt": "keep\n",
        "removed-edited.txt": "bye\n",
        "team-deleted.txt": "x changed\n",
        "logo.bin": Buffer.from([0, 9, 9]),
        "icon.bin": Buffer.from([0, 9, 9]),
        "run.sh": { text: "echo run\n", mode: 0o755 },
        "ci.yml": "steps: [test, doctor]\n",
        "new.txt": "new upstream\n",
        "collide.txt": "from the template\n",
      },
    },
  });
}

describe("paved upgrade (real git repositories)", () => {
  it("applies every per-file rule, records conflicts in the index and exits 1 listing them", async () => {
    const dir = await newService(rulesSource(), "1.0.0");
    write(dir, "README.md", read(dir, "README.md").replace("Intro.", "Intro, by the team."));
    write(dir, "config.yml", "port: 7070\nlog: info\n");
    write(dir, "team-only-edit.txt", "keep, edited\n");
    write(dir, "removed-edited.txt", "bye, but edited\n");
    rmSync(path.join(dir, "team-deleted.txt"));
    write(dir, "icon.bin", Buffer.from([0, 5, 5]));
    write(dir, "ci.yml", "steps: [test, lint]\n");
    write(dir, "collide.txt", "from the team\n");
    await commitAll(dir);

    const result = await runCli(["upgrade", dir, "--json"]);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(String(result.stdout));
    expect(report).toMatchObject({ ok: false, from: "1.0.0", to: "1.1.0", steps: [{ from: "1.0.0", to: "1.1.0" }] });
    expect(report.conflicts.map((c: { path: string }) => c.path).sort()).toEqual(["collide.txt", "config.yml", "icon.bin"]);
    const action = (p: string) => report.actions.find((a: { path: string }) => a.path === p)?.action;
    expect({
      readme: action("README.md"),
      untouched: action("untouched.txt"),
      teamOnly: action("team-only-edit.txt"),
      removed: action("removed.txt"),
      removedEdited: action("removed-edited.txt"),
      teamDeleted: action("team-deleted.txt"),
      logo: action("logo.bin"),
      run: action("run.sh"),
      ci: action("ci.yml"),
      created: action("new.txt"),
    }).toEqual({
      readme: "merge",
      untouched: "update",
      teamOnly: "keep",
      removed: "delete",
      removedEdited: "keep",
      teamDeleted: "keep",
      logo: "update",
      run: "update",
      ci: "overwrite",
      created: "create",
    });

    expect(read(dir, "README.md")).toBe(
      "# demo-svc\n\nIntro, by the team.\n\nMore text here.\nAnd here.\n\n## Usage\n\nRun it with `npm start`.\n",
    );
    expect(read(dir, "config.yml")).toBe("<<<<<<< yours (svc 1.0.0)\nport: 7070\n=======\nport: 9090\n>>>>>>> svc 1.1.0\nlog: info\n");
    expect(read(dir, "collide.txt")).toBe("<<<<<<< yours (svc 1.0.0)\nfrom the team\n=======\nfrom the template\n>>>>>>> svc 1.1.0\n");
    expect(read(dir, "untouched.txt")).toBe("v2\n");
    expect(read(dir, "team-only-edit.txt")).toBe("keep, edited\n");
    expect(existsSync(path.join(dir, "removed.txt"))).toBe(false);
    expect(read(dir, "removed-edited.txt")).toBe("bye, but edited\n");
    expect(existsSync(path.join(dir, "team-deleted.txt"))).toBe(false);
    expect([...readFileSync(path.join(dir, "logo.bin"))]).toEqual([0, 9, 9]);
    expect([...readFileSync(path.join(dir, "icon.bin"))]).toEqual([0, 5, 5]);
    expect(statSync(path.join(dir, "run.sh")).mode & 0o111).not.toBe(0);
    expect(read(dir, "ci.yml")).toBe("steps: [test, doctor]\n");
    expect(read(dir, "new.txt")).toBe("new upstream\n");
    expect(read(dir, ".paved.yml")).toContain("version: 1.1.0");

    // git sees the conflicts exactly like after `git merge`: unmerged paths with stages 1/2/3.
    const status = (await git(dir, ["status", "--porcelain"])).stdout;
    expect(status).toContain("UU config.yml");
    expect(status).toContain("UU icon.bin");
    expect(status).toContain("AA collide.txt");
    const stages = (await git(dir, ["ls-files", "-u", "config.yml"])).stdout.trim().split("\n");
    expect(stages.map((l) => l.split(/\s+/)[2])).toEqual(["1", "2", "3"]);
    expect((await git(dir, ["show", ":1:config.yml"])).stdout).toBe("port: 8080\nlog: info");
    expect((await git(dir, ["show", ":2:config.yml"])).stdout).toBe("port: 7070\nlog: info");
    expect((await git(dir, ["show", ":3:config.yml"])).stdout).toBe("port: 9090\nlog: info");
    // Ordinary git conflict tooling works on them: git mergetool gets the three versions...
    await git(dir, [
      "-c",
      'mergetool.pick.cmd=cat "$BASE" "$LOCAL" "$REMOTE" > "$MERGED"',
      "-c",
      "mergetool.pick.trustExitCode=true",
      "mergetool",
      "--tool=pick",
      "--no-prompt",
      "config.yml",
    ]);
    expect(read(dir, "config.yml")).toBe("port: 8080\nlog: info\nport: 7070\nlog: info\nport: 9090\nlog: info\n");
    expect((await git(dir, ["status", "--porcelain", "config.yml"])).stdout).toBe("M  config.yml");
    // ...and checkout takes the template's binary from stage 3.
    await git(dir, ["checkout", "--theirs", "icon.bin"]);
    expect([...readFileSync(path.join(dir, "icon.bin"))]).toEqual([0, 9, 9]);
    // The rest of the upgrade is staged, so resolving and committing commits all of it.
    expect(status).toContain("M  untouched.txt");
    expect(status).toContain("D  removed.txt");
    expect(status).toContain("A  new.txt");
  });

  it("prints conflicts and next steps for a person, and --conflict rej writes .rej files instead", async () => {
    const dir = await newService(rulesSource(), "1.0.0");
    write(dir, "config.yml", "port: 7070\nlog: info\n");
    await commitAll(dir);
    const human = await runCli(["upgrade", dir, "--dry-run"]);
    expect(human.exitCode).toBe(1); // as the real run: the plan has a conflict (issue 12)
    expect(human.stdout).toMatch(/conflict\s+config\.yml\s+changed by you and by the template; 1 conflicting region/);
    expect(human.stdout).toMatch(/update\s+untouched\.txt/);
    expect(human.stdout).toContain("nothing was written");

    const rej = await runCli(["upgrade", dir, "--conflict", "rej"]);
    expect(rej.exitCode).toBe(1);
    expect(rej.stdout).toContain("config.yml (1 region)");
    expect(rej.stdout).toContain(".rej");
    expect(read(dir, "config.yml")).toBe("port: 7070\nlog: info\n");
    expect(read(dir, "config.yml.rej")).toBe("--- a/config.yml\n+++ b/config.yml\n@@ -1,2 +1,2 @@\n-port: 7070\n+port: 9090\n log: info\n");
    expect((await git(dir, ["ls-files", "-u"])).stdout).toBe("");
  });

  it("merges Latin-1 files like git: a clean merge stays clean, a real conflict gets git merge-file's markers; paved diff shows them as git diff", async () => {
    const latin1 = (text: string) => Buffer.from(text, "latin1");
    const lines = (first: string, last: string) => `# caf\xe9 ${first}\nna\xefve=oui\n\nprix=3\xa4\n\nfin=${last}\n`;
    const source = makeSource({
      "1.0.0": {
        files: {
          "clean.properties": latin1(lines("v1", "a")),
          "conflict.properties": latin1(lines("v1", "a")),
          "bom.txt": latin1("\xef\xbb\xbfa\nb\nc\nd\n"),
        },
      },
      "1.1.0": {
        files: {
          "clean.properties": latin1(lines("v1", "\xe9t\xe9")),
          "conflict.properties": latin1(lines("v2 \xe0 jour", "a")),
          "bom.txt": latin1("\xef\xbb\xbfa\nb\nc\nD\n"),
        },
      },
    });
    const dir = await newService(source, "1.0.0");
    write(dir, "clean.properties", latin1(lines("\xe9quipe", "a")));
    write(dir, "conflict.properties", latin1(lines("\xe9quipe", "a")));
    write(dir, "bom.txt", latin1("\xef\xbb\xbfA\nb\nc\nd\n"));
    await commitAll(dir);

    // paved diff prints the same bytes git diff does for a Latin-1 file (text to git: no NUL).
    const pavedDiff = spawnSync(process.execPath, [BIN, "diff", dir], { env: { ...process.env, ...CLI_ENV } });
    expect(pavedDiff.status).toBe(0);
    const gitDiff = spawnSync(
      "git",
      ["-c", "diff.indentHeuristic=false", "diff", "--no-color", "HEAD~1", "HEAD", "--", "clean.properties"],
      { cwd: dir },
    );
    const hunks = (out: Buffer) => out.subarray(out.indexOf("@@")).toString("latin1");
    const pavedClean = pavedDiff.stdout.subarray(pavedDiff.stdout.indexOf("diff --git a/clean.properties"));
    expect(hunks(gitDiff.stdout)).toContain("+# caf\xe9 \xe9quipe\n");
    expect(hunks(pavedClean).startsWith(hunks(gitDiff.stdout))).toBe(true);
    // --json has to carry text: a patch that is not UTF-8 is given as Latin-1 (one character per byte).
    const json = JSON.parse(String((await runCli(["diff", dir, "--json"])).stdout)) as {
      files: Array<{ path: string; binary: boolean; patch: string }>;
    };
    expect(json.files.find((f) => f.path === "clean.properties")).toMatchObject({
      binary: false,
      patch: expect.stringContaining("+# caf\u00e9 \u00e9quipe\n"),
    });

    const result = await runCli(["upgrade", dir, "--json"]);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(String(result.stdout));
    expect(report.conflicts).toEqual([{ path: "conflict.properties", kind: "content", regions: 1, step: "1.0.0->1.1.0" }]); // conflicts name their step (issue 12)
    const action = (p: string) => report.actions.find((a: { path: string }) => a.path === p)?.action;
    expect([action("clean.properties"), action("bom.txt")]).toEqual(["merge", "merge"]);

    // Byte for byte what git merge-file gives on the same three files, with the same labels.
    const expected = (file: string) => {
      const work = tempDir("paved-latin1-");
      for (const [stage, name] of [
        ["1", "base"],
        ["2", "ours"],
        ["3", "theirs"],
      ] as const) {
        const show = spawnSync("git", ["show", `:${stage}:${file}`], { cwd: dir });
        writeFileSync(path.join(work, name), show.status === 0 ? show.stdout : Buffer.alloc(0));
      }
      return spawnSync(
        "git",
        ["merge-file", "-p", "-L", "yours (svc 1.0.0)", "-L", "svc 1.0.0", "-L", "svc 1.1.0", "ours", "base", "theirs"],
        { cwd: work },
      );
    };
    const merged = expected("conflict.properties");
    expect(merged.status).toBe(1);
    expect(readFileSync(path.join(dir, "conflict.properties")).toString("latin1")).toBe(merged.stdout.toString("latin1"));
    expect(readFileSync(path.join(dir, "conflict.properties")).toString("latin1")).toContain(
      "<<<<<<< yours (svc 1.0.0)\n# caf\xe9 \xe9quipe\n=======\n# caf\xe9 v2 \xe0 jour\n>>>>>>> svc 1.1.0\n",
    );
    expect(readFileSync(path.join(dir, "clean.properties")).toString("latin1")).toBe(lines("\xe9quipe", "\xe9t\xe9"));
    expect(readFileSync(path.join(dir, "bom.txt")).toString("latin1")).toBe("\xef\xbb\xbfA\nb\nc\nD\n");
    expect((await git(dir, ["status", "--porcelain"])).stdout).toContain("UU conflict.properties");
  });

  it("--dry-run touches nothing; a dirty tree is refused with exit 2 unless --allow-dirty", async () => {
    const dir = await newService(rulesSource(), "1.0.0");
    write(dir, "untouched.txt", "local, uncommitted\n");
    const before = worktree(dir);
    const dry = await runCli(["upgrade", dir, "--dry-run", "--json"]);
    expect(dry.exitCode).toBe(1); // the uncommitted untouched.txt conflicts, so the real run would exit 1 too (issue 12)
    expect(JSON.parse(String(dry.stdout))).toMatchObject({
      ok: false,
      dryRun: true,
      from: "1.0.0",
      to: "1.1.0",
      conflicts: [{ path: "untouched.txt", step: "1.0.0->1.1.0" }],
    });
    expect(worktree(dir)).toEqual(before);

    const dirty = await runCli(["upgrade", dir]);
    expect(dirty.exitCode).toBe(2);
    expect(dirty.stderr).toContain("uncommitted changes");
    expect(dirty.stderr).toContain("--allow-dirty");
    expect(worktree(dir)).toEqual(before);

    const allowed = await runCli(["upgrade", dir, "--allow-dirty"]);
    expect(allowed.exitCode).toBe(1); // untouched.txt now conflicts with the template's v2
    expect(read(dir, "untouched.txt")).toContain("local, uncommitted");
  });

  it("--check, --to, refusing a downgrade, and nothing to do on the latest version", async () => {
    const source = makeSource({
      "1.0.0": { files: { "a.txt": "1\n" } },
      "1.1.0": { files: { "a.txt": "2\n" } },
      "2.0.0": { files: { "a.txt": "3\n" } },
    });
    const dir = await newService(source, "1.0.0");
    const check = await runCli(["upgrade", dir, "--check", "--json"]);
    expect(check.exitCode).toBe(1);
    expect(JSON.parse(String(check.stdout))).toMatchObject({ current: "1.0.0", latest: "2.0.0", updateAvailable: true });

    const to = await runCli(["upgrade", dir, "--to", "1.1.0"]);
    expect(to.exitCode).toBe(0);
    expect(read(dir, "a.txt")).toBe("2\n");
    expect(read(dir, ".paved.yml")).toContain("version: 1.1.0");
    await commitAll(dir, "upgrade");

    const down = await runCli(["upgrade", dir, "--to", "1.0.0"]);
    expect(down.exitCode).toBe(2);
    expect(down.stderr).toContain("does not downgrade");

    const latest = await runCli(["upgrade", dir, "--commit"]);
    expect(latest.exitCode).toBe(0);
    expect((await git(dir, ["log", "-1", "--format=%s"])).stdout).toBe("Upgrade svc from 1.1.0 to 2.0.0");
    expect((await git(dir, ["status", "--porcelain"])).stdout).toBe("");

    const again = await runCli(["upgrade", dir]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("nothing to do");
    const checkAgain = await runCli(["upgrade", dir, "--check"]);
    expect(checkAgain.exitCode).toBe(0);
  });

  it("new questions: the default applies, a required one without default is exit 2 naming --set; --set changes an answer", async () => {
    const source = makeSource({
      "1.0.0": { files: { "owner.txt": "{{owner}}\n" } },
      "1.1.0": {
        manifest: {
          questions: [...BASE_QUESTIONS, { name: "tier", type: "select", message: "Tier", choices: ["gold", "silver"], default: "silver" }],
        },
        files: { "owner.txt": "{{owner}}\n", "tier.txt": "{{tier}}\n" },
      },
      "2.0.0": {
        manifest: {
          questions: [
            ...BASE_QUESTIONS,
            { name: "tier", type: "select", message: "Tier", choices: ["gold", "silver"], default: "silver" },
            { name: "region", type: "input", message: "Region", required: true },
          ],
        },
        files: { "owner.txt": "{{owner}}\n", "tier.txt": "{{tier}}\n", "region.txt": "{{region}}\n" },
      },
    });
    const dir = await newService(source, "1.0.0");
    const missing = await runCli(["upgrade", dir]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("--set region=");
    expect(read(dir, ".paved.yml")).toContain("version: 1.0.0");

    // --set alone stays on the recorded version (issue 20); --latest moves too.
    const ok = await runCli(["upgrade", dir, "--latest", "--set", "region=eu-west", "--set", "owner=team-b", "--commit"]);
    expect(ok.stderr).not.toContain("error");
    expect(ok.exitCode).toBe(0);
    expect(read(dir, "tier.txt")).toBe("silver\n");
    expect(read(dir, "region.txt")).toBe("eu-west\n");
    expect(read(dir, "owner.txt")).toBe("team-b\n");
    const recorded = read(dir, ".paved.yml");
    expect(recorded).toContain("region: eu-west");
    expect(recorded).toContain("owner: team-b");

    // An answers-only change on the same version.
    const answers = await runCli(["upgrade", dir, "--set", "tier=gold"]);
    expect(answers.exitCode).toBe(0);
    expect(read(dir, "tier.txt")).toBe("gold\n");
    expect(read(dir, ".paved.yml")).toContain("tier: gold");
  });

  it("a file whose templated path changes with an answer moves with the team's edits", async () => {
    const source = makeSource({ "1.0.0": { files: { "src/{{name}}.txt": "# {{name}}\nline 2\nline 3\nline 4\n" } } });
    const dir = await newService(source, "1.0.0");
    write(dir, "src/demo-svc.txt", "# demo-svc\nline 2\nline 3\nline 4, edited by the team\n");
    await commitAll(dir);
    const result = await runCli(["upgrade", dir, "--set", "name=billing-api", "--json"]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(existsSync(path.join(dir, "src/demo-svc.txt"))).toBe(false);
    expect(read(dir, "src/billing-api.txt")).toBe("# billing-api\nline 2\nline 3\nline 4, edited by the team\n");
    expect(JSON.parse(String(result.stdout)).migrations).toEqual([
      expect.objectContaining({ step: "rename src/demo-svc.txt -> src/billing-api.txt", status: "applied" }),
    ]);
  });

  it("applies migrations step by step across versions (rename before the merge, commands after it, only with --trust)", async () => {
    const source = makeSource({
      "1.0.0": { files: { "settings.yml": "a: 1\nb: 2\nc: 3\nd: 4\n", "legacy.txt": "old\n" } },
      "1.1.0": {
        manifest: { migrations: [{ rename: { from: "settings.yml", to: "config/settings.yml" } }] },
        files: { "config/settings.yml": "a: 1\nb: 2\nc: 3\nd: 40\n", "legacy.txt": "old\n" },
      },
      "2.0.0": {
        manifest: {
          migrations: [
            { delete: "legacy.txt" },
            {
              run: [
                "node",
                "-e",
                "const fs=require('fs');fs.writeFileSync('migrated.txt', fs.existsSync('config/settings.yml') && !fs.existsSync('legacy.txt') ? 'after 1.1.0\\n' : 'wrong order\\n')",
              ],
            },
          ],
        },
        files: { "config/settings.yml": "a: 1\nb: 2\nc: 3\nd: 40\ne: 5\n" },
      },
    });
    const dir = await newService(source, "1.0.0");
    write(dir, "settings.yml", "a: team\nb: 2\nc: 3\nd: 4\n");
    await commitAll(dir);

    const untrusted = await runCli(["upgrade", dir]);
    expect(untrusted.exitCode).toBe(2);
    expect(untrusted.stderr).toContain("node -e");
    expect(untrusted.stderr).toContain("--trust");
    expect(existsSync(path.join(dir, "config"))).toBe(false);

    const result = await runCli(["upgrade", dir, "--trust", "--json", "--commit"]);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(String(result.stdout));
    expect(report.steps).toEqual([
      { from: "1.0.0", to: "1.1.0" },
      { from: "1.1.0", to: "2.0.0" },
    ]);
    expect(report.migrations.map((m: { version: string; step: string; status: string }) => `${m.version} ${m.step} ${m.status}`)).toEqual([
      "1.1.0 rename settings.yml -> config/settings.yml applied",
      "2.0.0 delete legacy.txt applied",
      expect.stringMatching(/^2\.0\.0 run node -e .* applied$/),
    ]);
    // The team's edit followed the file to its new name and merged with both template changes.
    expect(read(dir, "config/settings.yml")).toBe("a: team\nb: 2\nc: 3\nd: 40\ne: 5\n");
    expect(existsSync(path.join(dir, "settings.yml"))).toBe(false);
    expect(existsSync(path.join(dir, "legacy.txt"))).toBe(false);
    expect(read(dir, "migrated.txt")).toBe("after 1.1.0\n");
    expect((await git(dir, ["log", "-1", "--format=%B"])).stdout).toContain("Upgrade svc from 1.0.0 to 2.0.0");
  });

  it("stops at the first version whose merge conflicts, then continues on the next run", async () => {
    const source = makeSource({
      "1.0.0": { files: { "a.txt": "x\n" } },
      "1.1.0": { files: { "a.txt": "y\n" } },
      "2.0.0": { files: { "a.txt": "y\n", "b.txt": "b\n" } },
    });
    const dir = await newService(source, "1.0.0");
    write(dir, "a.txt", "team\n");
    await commitAll(dir);
    const first = await runCli(["upgrade", dir]);
    expect(first.exitCode).toBe(1);
    expect(first.stdout).toContain("Then `paved upgrade --continue` commits it with the release notes and goes on to 2.0.0");
    expect(read(dir, ".paved.yml")).toContain("version: 1.1.0");
    expect(existsSync(path.join(dir, "b.txt"))).toBe(false);
    write(dir, "a.txt", "team and y\n");
    await git(dir, ["add", "-A"]);
    await git(dir, ["commit", "-q", "-m", "resolve"]);
    const second = await runCli(["upgrade", dir]);
    expect(second.exitCode).toBe(0);
    expect(read(dir, "a.txt")).toBe("team and y\n");
    expect(read(dir, "b.txt")).toBe("b\n");
  });

  it("works for a service in a subdirectory of a bigger repository (index paths carry the prefix)", async () => {
    const source = makeSource({
      "1.0.0": { files: { "a.txt": "1\n", "b.txt": "b\n" } },
      "1.1.0": { files: { "a.txt": "2\n", "b.txt": "B\n" } },
    });
    const mono = tempDir("paved-mono-");
    await git(mono, ["init", "-q"]);
    write(mono, "README.md", "monorepo\n");
    const dir = path.join(mono, "services", "demo-svc");
    const created = await runCli(["new", "svc", dir, "--source", source, "--version", "1.0.0", "--yes", "--no-git"]);
    expect(created.exitCode, String(created.stderr)).toBe(0);
    write(dir, "a.txt", "team\n");
    await commitAll(mono);
    const result = await runCli(["upgrade", dir]);
    expect(result.exitCode).toBe(1);
    const status = (await git(mono, ["status", "--porcelain"])).stdout;
    expect(status).toContain("UU services/demo-svc/a.txt");
    expect(status).toContain("M  services/demo-svc/b.txt");
    expect(read(dir, "b.txt")).toBe("B\n");
  });

  it("upgrades from a git template source whose tags are the versions", async () => {
    const repo = tempDir("paved-git-src-");
    await git(repo, ["init", "-q"]);
    const manifest = (v: string) =>
      `name: gsvc\nversion: ${v}\ndescription: from git\nquestions:\n  - { name: name, type: input, message: Name, default: "{{paved.dirName}}" }\n`;
    write(repo, "template.yaml", manifest("1.0.0"));
    write(repo, "files/x.txt", "a\nb\nc\nd\n");
    await commitAll(repo, "v1");
    await git(repo, ["tag", "v1.0.0"]);
    write(repo, "template.yaml", manifest("1.1.0"));
    write(repo, "files/x.txt", "a\nb\nc\nD\n");
    await commitAll(repo, "v1.1");
    await git(repo, ["tag", "v1.1.0"]);
    const dir = await newService(repo, "1.0.0", [], "gsvc");
    write(dir, "x.txt", "A\nb\nc\nd\n");
    await commitAll(dir);
    const result = await runCli(["upgrade", dir]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(read(dir, "x.txt")).toBe("A\nb\nc\nD\n");
    expect(read(dir, ".paved.yml")).toContain("version: 1.1.0");
  });

  it("is atomic: a failure midway leaves the working tree as it was", async () => {
    const source = makeSource({
      "1.0.0": { files: { "a.txt": "1\n" } },
      "1.1.0": { files: { "a.txt": "2\n", zz: "now a file\n" } },
    });
    const dir = await newService(source, "1.0.0");
    write(dir, "zz/team.txt", "the team has a directory here\n");
    await commitAll(dir);
    const before = worktree(dir);
    const result = await runCli(["upgrade", dir]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("zz: the template has a file there but your working tree has a directory");
    expect(worktree(dir)).toEqual(before);
    expect((await git(dir, ["status", "--porcelain"])).stdout).toBe("");
    // --json gives the path as data; the one line above is built from it.
    const json = await runCli(["upgrade", dir, "--json"]);
    expect(json.exitCode).toBe(2);
    const { error } = JSON.parse(json.stdout);
    expect(error.message).toMatch(/^zz: the template has a file there but your working tree has a directory; nothing was changed$/);
    expect(error.fields).toEqual({ file: "zz" });
    expect(worktree(dir)).toEqual(before);
  });

  it("a migration path that leaves the service is refused naming the template.yaml as a field, nothing changed", async () => {
    const source = makeSource({
      "1.0.0": { files: { "a.txt": "1\n" } },
      "1.1.0": { manifest: { migrations: [{ delete: "../outside" }] }, files: { "a.txt": "2\n" } },
    });
    const dir = await newService(source, "1.0.0");
    const before = worktree(dir);
    const json = await runCli(["upgrade", dir, "--json"]);
    expect(json.exitCode).toBe(2);
    const { error } = JSON.parse(json.stdout);
    expect(error.code).toBe("unsafe-path");
    expect(error.fields).toEqual({ file: expect.stringMatching(/1\.1\.0\/template\.yaml$/) });
    expect(error.message).toBe(`${error.fields.file}: migrations delete "../outside" contains ".."`);
    const human = await runCli(["upgrade", dir]);
    expect(human.exitCode).toBe(2);
    expect(human.stderr.split("\n")).toContain(`error: ${error.message}`);
    expect(human.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(worktree(dir)).toEqual(before);
  });

  it("a git index that cannot take the conflicts (index.lock held) is exit 2 quoting git, and the working tree is rolled back", async () => {
    const source = makeSource({
      "1.0.0": { files: { "a.txt": "1\n" } },
      "1.1.0": { files: { "a.txt": "2\n" } },
    });
    const dir = await newService(source, "1.0.0");
    write(dir, "a.txt", "team\n");
    await commitAll(dir);
    writeFileSync(path.join(dir, ".git", "index.lock"), "");
    const before = worktree(dir);
    const result = await runCli(["upgrade", dir]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/^error: git update-index failed in .*: fatal: Unable to create .*index\.lock.*File exists/m);
    expect(String(result.stderr)).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(worktree(dir)).toEqual(before);
  });

  it("--commit without a full git identity commits as paved <paved@localhost>, the same rule as paved new", async () => {
    const source = makeSource({
      "1.0.0": { files: { "a.txt": "1\n" } },
      "1.1.0": { files: { "a.txt": "2\n" } },
    });
    const dir = await newService(source, "1.0.0");
    const home = tempDir();
    const env = envWithoutIdentity(home);
    // A name but no email, and git may not guess one: neither paved new nor upgrade may then commit as the user.
    writeFileSync(path.join(home, ".gitconfig"), "[user]\n\tname = Half Configured\n\tuseConfigOnly = true\n");
    const result = spawnSync(process.execPath, [BIN, "upgrade", dir, "--commit"], { env, encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect((await git(dir, ["log", "-1", "--format=%an <%ae>"])).stdout).toBe("paved <paved@localhost>");
  });

  it("an empty flag value is exit 2 naming the flag, for new and upgrade alike", async () => {
    const work = tempDir();
    for (const args of [
      ["new", "service", path.join(work, "svc"), "--remote="],
      ["new", "service", path.join(work, "svc"), "--version="],
      ["upgrade", work, "--to="],
    ]) {
      const before = snapshotDir(work);
      const result = await runCli(args);
      const flag = args[args.length - 1]!.replace("=", "");
      expect(result.exitCode, args.join(" ")).toBe(2);
      expect(String(result.stderr)).toContain(`error: ${flag}: must not be empty`);
      expect(String(result.stderr)).toMatch(/fix: see `paved (new|upgrade) --help`/);
      expect(String(result.stderr)).not.toMatch(/\n\s+at .*\.js:\d+/);
      expect(snapshotDir(work)).toEqual(before);
    }
  });

  it("Ctrl-C during a migration command leaves the working tree as it was", async () => {
    const source = makeSource({
      "1.0.0": { files: { "a.txt": "1\n" } },
      "1.1.0": { manifest: { migrations: [{ run: ["node", "-e", "setTimeout(() => {}, 20000)"] }] }, files: { "a.txt": "2\n" } },
    });
    const dir = await newService(source, "1.0.0");
    const before = worktree(dir);
    const child = runCli(["upgrade", dir, "--trust"]);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes("$ node")) child.kill("SIGINT");
    });
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(worktree(dir)).toEqual(before);
    expect(existsSync(path.join(dir, ".git", "paved.lock"))).toBe(false);
    expect(existsSync(path.join(path.dirname(dir), ".demo-svc.paved.lock"))).toBe(false);
  });
});
