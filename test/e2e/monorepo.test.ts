// Issue 16: `paved new <template> <subdir>` inside an existing git repository (a monorepo). Real git repositories,
// the real CLI, the GitHub Actions validator and a YAML parser for GitLab; no mocks.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { git, runCli, snapshotDir, tempDir, writeFiles } from "../helpers.js";
import { makeSource } from "../template-fixtures.js";

const STACK = /\n\s+at .*\.js:\d+/;

async function monorepo(): Promise<string> {
  const repo = tempDir("paved-mono-");
  await git(repo, ["init", "--quiet", "--initial-branch", "main"]);
  writeFiles(repo, { "README.md": "# the monorepo\n", "packages/.keep": "" });
  await git(repo, ["add", "--all"]);
  await git(repo, ["commit", "--quiet", "-m", "start"]);
  return repo;
}

function newService(repo: string, dir: string, ...args: string[]) {
  return runCli(["new", "service", dir, "--no-install", "--yes", ...args], { cwd: repo });
}

/** Everything but .git (git status may refresh the index's stat data without changing anything). */
function worktreeSnapshot(repo: string): Record<string, string> {
  return Object.fromEntries(Object.entries(snapshotDir(repo)).filter(([p]) => p !== ".git/" && !p.startsWith(".git/")));
}

/** `data`: the refusal's code and fields as `--json` gives them (`run` is called again with `--json`). */
async function expectRefused(
  repo: string,
  run: (...extra: string[]) => ReturnType<typeof runCli>,
  message: RegExp,
  data?: { code: string; fields: Record<string, unknown> },
): Promise<void> {
  const before = worktreeSnapshot(repo);
  const status = (await git(repo, ["status", "--porcelain", "--untracked-files=all"])).stdout;
  const result = await run();
  expect(result.exitCode, result.stderr).toBe(2);
  const errors = result.stderr.split("\n").filter((l) => l.startsWith("error:"));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(message);
  expect(result.stderr).not.toMatch(STACK);
  expect(worktreeSnapshot(repo)).toEqual(before);
  expect((await git(repo, ["status", "--porcelain", "--untracked-files=all"])).stdout).toBe(status);
  if (data) {
    const json = await run("--json");
    expect(json.exitCode, json.stderr).toBe(2);
    const { error } = JSON.parse(json.stdout);
    expect(`error: ${error.message}`).toBe(errors[0]);
    expect({ code: error.code, fields: error.fields }).toEqual(data);
    expect(worktreeSnapshot(repo)).toEqual(before);
  }
}

type Workflow = {
  name: string;
  on: Record<string, { paths?: string[]; branches?: string[]; tags?: string[] }>;
  defaults?: { run: { "working-directory": string } };
  jobs: Record<string, { steps: Array<Record<string, any>> }>;
};

describe("paved new inside an existing repository", () => {
  it("adds two GitHub services under packages/: no nested .git, staged or committed, workflows at the root that run for their folder", async () => {
    const repo = await monorepo();
    const a = await newService(repo, "packages/svc-a", "--set", "owner=team-a");
    expect(a.exitCode, a.stderr).toBe(0);
    expect(a.stdout).toMatch(
      /Added packages\/svc-a to .* from service 2\.2\.0: \d+ files \(\+2 at the repository root: \.github\/workflows\/svc-a-ci\.yml, \.github\/workflows\/svc-a-deploy\.yml\), staged on main/,
    );
    expect(a.stdout).toMatch(/git commit -m "paved: add service svc-a at packages\/svc-a"/);
    expect(a.stdout).not.toMatch(/git remote add/);
    expect(existsSync(path.join(repo, "packages/svc-a/.git"))).toBe(false);
    expect(existsSync(path.join(repo, "packages/svc-a/.github"))).toBe(false);
    // Staged: exactly the new files, nothing else changed, nothing committed.
    const staged = (await git(repo, ["diff", "--cached", "--name-only"])).stdout.split("\n");
    expect(staged.filter((p) => !p.startsWith("packages/svc-a/"))).toEqual([
      ".github/workflows/svc-a-ci.yml",
      ".github/workflows/svc-a-deploy.yml",
    ]);
    expect(staged).toContain("packages/svc-a/.paved.yml");
    expect((await git(repo, ["status", "--porcelain", "--untracked-files=all"])).stdout.split("\n").every((l) => l.startsWith("A "))).toBe(
      true,
    );
    expect((await git(repo, ["log", "--format=%s"])).stdout).toBe("start");
    const recordA = parseYaml(readFileSync(path.join(repo, "packages/svc-a/.paved.yml"), "utf8"));
    expect(recordA.rootFiles).toEqual([".github/workflows/svc-a-ci.yml", ".github/workflows/svc-a-deploy.yml"]);
    await git(repo, ["commit", "--quiet", "-m", "svc-a"]);

    const b = await newService(repo, "packages/svc-b", "--set", "owner=team-b", "--commit");
    expect(b.exitCode, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/committed on main @ [0-9a-f]{7}/);
    expect((await git(repo, ["log", "--format=%s"])).stdout.split("\n")[0]).toBe("paved: add service svc-b at packages/svc-b");
    expect((await git(repo, ["status", "--porcelain", "--untracked-files=all"])).stdout).toBe("");
    expect((await git(repo, ["show", "--name-only", "--format=", "HEAD"])).stdout).toMatch(/^\.github\/workflows\/svc-b-ci\.yml$/m);

    for (const name of ["svc-a", "svc-b"]) {
      for (const kind of ["ci", "deploy"]) {
        const file = `.github/workflows/${name}-${kind}.yml`;
        const text = readFileSync(path.join(repo, file), "utf8");
        const state = validateWorkflow(text);
        expect(state.errors, `${file}: ${JSON.stringify(state.errors, null, 2)}`).toEqual([]);
        const workflow = parseYaml(text) as Workflow;
        expect(workflow.name).toBe(`${name} ${kind}`);
        expect(workflow.on.push?.paths).toEqual([`packages/${name}/**`, `.github/workflows/${name}-*.yml`]);
        expect(workflow.defaults?.run["working-directory"]).toBe(`packages/${name}`);
        if (kind === "ci") {
          expect(workflow.on.pull_request?.paths).toEqual([`packages/${name}/**`, `.github/workflows/${name}-*.yml`]);
          const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
          const setupNode = steps.find((s) => String(s.uses).startsWith("actions/setup-node"));
          expect(setupNode?.with).toMatchObject({
            "node-version-file": `packages/${name}/.nvmrc`,
            cache: "npm",
            "cache-dependency-path": `packages/${name}/package-lock.json`,
          });
          expect(steps.find((s) => String(s.uses).startsWith("docker/build-push-action"))?.with.context).toBe(`packages/${name}`);
        } else {
          expect(workflow.on.push?.tags).toEqual([`${name}-v*.*.*`]);
        }
      }
    }

    // doctor's service/ci-workflow reads the root workflow this service owns.
    const doctor = await runCli(["doctor", "packages/svc-a", "--format", "json"], { cwd: repo });
    const ci = JSON.parse(doctor.stdout).findings.filter((f: { check: string }) => f.check === "service/ci-workflow");
    expect(ci).toEqual([
      expect.objectContaining({
        status: "pass",
        message: expect.stringMatching(/\.github\/workflows\/svc-a-ci\.yml at the repository root/),
      }),
    ]);
  });

  it("adds a GitLab service: .gitlab/ci/<name>.yml at the root, jobs for its folder, and the include the root pipeline needs", async () => {
    const repo = await monorepo();
    const result = await newService(repo, "packages/ledger", "--set", "owner=team-ledger", "--set", "ci=gitlab", "--commit");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /warning: \.gitlab-ci\.yml does not exist: GitLab runs \.gitlab\/ci\/ledger\.yml only when the repository's root pipeline includes it/,
    );
    expect(result.stderr).toContain('  include:\n    - local: ".gitlab/ci/*.yml"');
    expect(existsSync(path.join(repo, "packages/ledger/.gitlab-ci.yml"))).toBe(false);
    expect(existsSync(path.join(repo, ".gitlab-ci.yml"))).toBe(false); // shared by every service: never paved's
    const pipeline = parseYaml(readFileSync(path.join(repo, ".gitlab/ci/ledger.yml"), "utf8")) as Record<string, any>;
    // Included files merge into one pipeline: every key is the service's own, none is global.
    expect(Object.keys(pipeline).every((k) => k.startsWith("ledger-") || k.startsWith(".ledger"))).toBe(true);
    expect(pipeline[".ledger"].rules[1].changes).toEqual(["packages/ledger/**/*", ".gitlab/ci/ledger.yml"]);
    expect(pipeline[".ledger"].before_script).toEqual(['cd "packages/ledger"']);
    expect(pipeline[".ledger-npm"].cache.key.files).toEqual(["packages/ledger/package-lock.json"]);
    expect(pipeline["ledger-golden-path"].artifacts.reports.codequality).toBe("packages/ledger/gl-code-quality-report.json");
    expect(pipeline["ledger-test"].script).toContain("npm test");

    const doctor = async () => {
      const run = await runCli(["doctor", "packages/ledger", "--format", "json"], { cwd: repo });
      return JSON.parse(run.stdout).findings.filter((f: { check: string }) => f.check === "service/ci-workflow");
    };
    expect(await doctor()).toEqual([
      expect.objectContaining({ status: "fail", message: ".gitlab/ci/ledger.yml never runs: there is no root .gitlab-ci.yml" }),
    ]);
    writeFileSync(path.join(repo, ".gitlab-ci.yml"), 'include:\n  - local: ".gitlab/ci/*.yml"\n');
    await git(repo, ["add", ".gitlab-ci.yml"]);
    await git(repo, ["commit", "--quiet", "-m", "include the services' pipelines"]);
    expect(await doctor()).toEqual([expect.objectContaining({ status: "pass" })]);

    // With the include in place, a second GitLab service is told nothing more.
    const second = await newService(repo, "packages/refunds", "--set", "owner=team-refunds", "--set", "ci=gitlab");
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).not.toMatch(/gitlab-ci\.yml/);
  });

  it("refuses overlaps between applications, naming both, and writes nothing", async () => {
    const repo = await monorepo();
    expect((await newService(repo, "packages/svc-a", "--set", "owner=team-a", "--commit")).exitCode).toBe(0);
    writeFiles(repo, { ".github/workflows/hand-made-ci.yml": "name: hand made\non: push\njobs: {}\n" });
    await git(repo, ["add", "--all"]);
    await git(repo, ["commit", "--quiet", "-m", "a hand-made workflow"]);

    await expectRefused(
      repo,
      (...extra) => newService(repo, "packages/svc-a", "--set", "owner=team-b", ...extra),
      /^error: packages\/svc-a: service at packages\/svc-a is already there \(packages\/svc-a\/\.paved\.yml\); paved applies one template to a folder$/,
      { code: "overlap", fields: { file: "packages/svc-a" } },
    );
    await expectRefused(
      repo,
      (...extra) => newService(repo, "packages/svc-a/worker", "--set", "owner=team-b", ...extra),
      /^error: packages\/svc-a\/worker: a new application there would overlap service at packages\/svc-a; one application's folder may not hold another's$/,
      { code: "overlap", fields: { file: "packages/svc-a/worker" } },
    );
    await expectRefused(
      repo,
      (...extra) => newService(repo, "packages/other", "--set", "owner=team-b", "--set", "name=svc-a", ...extra),
      /^error: \.github\/workflows\/svc-a-ci\.yml: service at packages\/other would write it, but it belongs to service at packages\/svc-a$/,
      { code: "overlap", fields: { file: ".github/workflows/svc-a-ci.yml" } },
    );
    await expectRefused(
      repo,
      (...extra) => newService(repo, "packages/hand", "--set", "owner=team-b", "--set", "name=hand-made", ...extra),
      /^error: \.github\/workflows\/hand-made-ci\.yml: service at packages\/hand would write it, but it already exists$/,
      { code: "overlap", fields: { file: ".github/workflows/hand-made-ci.yml" } },
    );
    // A folder name CI path filters would read differently is refused before anything is asked.
    await expectRefused(
      repo,
      (...extra) => newService(repo, "packages/my api", "--set", "owner=team-b", ...extra),
      /^error: packages\/my api: a service's folder in a repository may only hold letters, digits, "\.", "_", "-" and "\/"$/,
      { code: "user", fields: { file: "packages/my api" } },
    );
  });

  it("refuses a dirty tree (naming the paths) and --commit on a detached HEAD, writing nothing", async () => {
    const repo = await monorepo();
    writeFiles(repo, { "notes.txt": "work in progress\n" });
    await expectRefused(
      repo,
      () => newService(repo, "packages/svc-a", "--set", "owner=team-a"),
      /^error: .* has uncommitted changes \(notes\.txt\); paved adds a service only to a clean working tree$/,
    );
    await git(repo, ["add", "notes.txt"]);
    await git(repo, ["commit", "--quiet", "-m", "notes"]);
    await git(repo, ["checkout", "--quiet", "--detach", "HEAD"]);
    await expectRefused(
      repo,
      () => newService(repo, "packages/svc-a", "--set", "owner=team-a", "--commit"),
      /^error: .* is on a detached HEAD; --commit would make a commit on no branch$/,
    );
    const staged = await newService(repo, "packages/svc-a", "--set", "owner=team-a");
    expect(staged.exitCode, staged.stderr).toBe(0);
    expect(staged.stdout).toMatch(/staged \(HEAD is detached: switch to a branch before you commit\)/);
  });

  it("doctor's service/ci-workflow fails a service in a subdirectory whose workflow sits under its own .github/ (GitHub ignores it)", async () => {
    const repo = await monorepo();
    // --no-git lays the service out as a repository of its own: its workflows land in packages/svc-a/.github/,
    // as a hand-copied service (or one made by paved before issue 16) has them.
    expect((await newService(repo, "packages/svc-a", "--set", "owner=team-a", "--no-git")).exitCode).toBe(0);
    await git(repo, ["add", "--all"]);
    await git(repo, ["commit", "--quiet", "-m", "svc-a"]);
    const doctor = await runCli(["doctor", "packages/svc-a", "--format", "json"], { cwd: repo });
    const ci = JSON.parse(doctor.stdout).findings.filter((f: { check: string }) => f.check === "service/ci-workflow");
    // Both workflows under the service's folder never run; both the template places at the root are missing.
    expect(ci.map((f: { status: string }) => f.status)).toEqual(["fail", "fail", "fail", "fail"]);
    expect(ci[0]).toMatchObject({
      message:
        "packages/svc-a/.github/workflows/ci.yml never runs: GitHub runs workflows only from the repository root's .github/workflows/",
      // Reports locate findings from the repository root (issue 16): the file under the service's folder.
      file: "packages/svc-a/.github/workflows/ci.yml",
      fix: expect.stringMatching(
        /^move its jobs to \.github\/workflows\/svc-a-ci\.yml, \.github\/workflows\/svc-a-deploy\.yml at the repository root/,
      ),
    });
    expect(ci[1].message).toMatch(/^packages\/svc-a\/\.github\/workflows\/deploy\.yml never runs/);
    expect(ci[2].message).toBe(
      "no CI runs for packages/svc-a: the template's .github/workflows/svc-a-ci.yml is missing at the repository root",
    );
    expect(doctor.exitCode).toBe(1);
  });

  it("gives templates paved.path and paved.root, and takes every written file back when a later step fails", async () => {
    const source = makeSource({
      tool: {
        "1.0.0": {
          manifest: { questions: [{ name: "name", type: "input", message: "Name", default: "{{paved.dirName}}" }], rootFiles: [".ci/**"] },
          files: { "README.md": "path={{paved.path}} root={{paved.root}}\n", ".ci/{{name}}.yml": "dir: {{paved.path}}\n" },
        },
      },
    });
    const repo = await monorepo();
    const made = await runCli(["new", "tool", "tools/deep/lint", "--source", source, "--yes"], { cwd: repo });
    expect(made.exitCode, made.stderr).toBe(0);
    expect(readFileSync(path.join(repo, "tools/deep/lint/README.md"), "utf8")).toBe("path=tools/deep/lint root=../../..\n");
    expect(readFileSync(path.join(repo, ".ci/lint.yml"), "utf8")).toBe("dir: tools/deep/lint\n");
    const fresh = tempDir();
    expect((await runCli(["new", "tool", path.join(fresh, "solo"), "--source", source, "--yes", "--no-git"])).exitCode).toBe(0);
    expect(readFileSync(path.join(fresh, "solo/README.md"), "utf8")).toBe("path= root=.\n");
    expect(existsSync(path.join(fresh, "solo/.ci/solo.yml"))).toBe(true);

    // git add refuses a root file the repository ignores: the folder, the root file and its folder are all removed.
    const other = await monorepo();
    writeFiles(other, { ".gitignore": ".ci/\n" });
    await git(other, ["add", ".gitignore"]);
    await git(other, ["commit", "--quiet", "-m", "ignore .ci"]);
    await expectRefused(
      other,
      () => runCli(["new", "tool", "tools/lint", "--source", source, "--yes"], { cwd: other }),
      /^error: git add failed in .*: The following paths are ignored by one of your \.gitignore files:/,
    );
    expect(existsSync(path.join(other, "tools"))).toBe(false);
    expect(existsSync(path.join(other, ".ci"))).toBe(false);
  });
});
