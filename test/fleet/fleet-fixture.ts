import { appendFileSync, cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { expect } from "vitest";
import { BUILTIN_TEMPLATES, CLI_ENV, git, runCli, tempDir, writeFiles } from "../helpers.js";
import { templateRepo, versionFiles, manifestText } from "../sources/repo-fixture.js";

/**
 * A small fleet made with the real CLI, dated with GIT_COMMITTER_DATE so every number in a report is known. The
 * `service` services come from a git source holding the built-in template's releases 1.0.0-2.0.0 (tags v1.0.0,
 * v1.1.0, v2.0.0), so the numbers do not move when paved ships a newer `service`, and a clone anywhere finds it:
 *
 * | target | made | history | as of 2026-12-01 |
 * | --- | --- | --- | --- |
 * | services/payments (team-pay) | service 1.0.0 on 2026-09-05 | tag v0.1.0 2026-09-12; upgraded to 1.1.0 on 2026-10-20 | 2.0.0 (2026-11-10) missing, within grace until 2026-12-10 |
 * | services/orders (team-pay) | service 1.1.0 on 2026-10-10 | tag v1.0.0 2026-10-15; upgraded to 2.0.0 on 2026-11-20 | current |
 * | services/legacy (team-bill) | service 1.0.0 on 2026-09-02 | none; a `release-1` tag (not v*) | 1.1.0 (2026-10-06) missing since: past grace (2026-11-05) |
 * | services/billing (team-bill) | service 2.0.0 on 2026-11-12 | .nvmrc edited, monitoring/slo.yaml deleted, a waiver on paved/required-files until 2026-12-20 | doctor fails (managed drift) |
 * | teams/x/api-svc | git template `api` 1.0.0 on 2026-09-10 | upgraded to 1.1.0 on 2026-10-01 | current (api 1.0.0 released 2026-08-01, 1.1.0 2026-09-20) |
 * | plain | a git repository without .paved.yml | | not paved |
 * | broken-yml | a git repository whose .paved.yml is not valid | | unreadable |
 * | file://.../catalog.git (repos file) | service 2.0.0 on 2026-11-15, pushed to a bare repository | tag v1 on 2026-11-16 | cloned into the cache |
 * | file://.../missing.git (repos file) | nothing there | | unreadable (clone fails) |
 */
export interface Fleet {
  root: string;
  cache: string;
  reposFile: string;
  env: Record<string, string>;
  catalogUrl: string;
  missingUrl: string;
  apiSource: string;
  /** The git source holding service 1.0.0, 1.1.0 and 2.0.0, as `.paved.yml` records it. */
  serviceSource: string;
}

function at(day: string): Record<string, string> {
  return { GIT_COMMITTER_DATE: `${day}T12:00:00Z`, GIT_AUTHOR_DATE: `${day}T12:00:00Z` };
}

export async function buildFleet(): Promise<Fleet> {
  const base = tempDir("paved-fleet-");
  const root = path.join(base, "fleet");
  const cache = path.join(base, "cache");
  mkdirSync(root);
  const serviceSource = await serviceReleases(base);
  const env: Record<string, string> = {
    PAVED_CACHE: cache,
    XDG_CONFIG_HOME: path.join(base, "xdg"),
    PAVED_SOURCE: "",
    PAVED_CACHE_TTL: "0",
  };
  const cli = async (args: string[], day: string, cwd = root) => {
    const result = await runCli(args, { cwd, env: { ...env, ...at(day) } });
    expect(result.exitCode, `${args.join(" ")}\n${result.stderr}`).toBe(0);
    return result;
  };
  const commit = async (dir: string, day: string, message: string) => {
    await git(dir, ["add", "--all"]);
    await gitAt(dir, ["commit", "--quiet", "--no-verify", "-m", message], day);
  };
  const tag = (dir: string, name: string, day: string) => gitAt(dir, ["tag", "-a", name, "-m", name], day);
  const service = (name: string, owner: string, version: string, day: string, dir = `services/${name}`) =>
    cli(
      [
        "new",
        "service",
        dir,
        "--source",
        serviceSource,
        "--yes",
        "--set",
        `name=${name}`,
        "--set",
        `owner=${owner}`,
        "--version",
        version,
        "--no-install",
      ],
      day,
    );
  const upgrade = (dir: string, to: string, day: string) => cli(["upgrade", dir, "--to", to, "--commit", "--yes"], day);

  await service("payments", "team-pay", "1.0.0", "2026-09-05");
  await tag(path.join(root, "services/payments"), "v0.1.0", "2026-09-12");
  await upgrade("services/payments", "1.1.0", "2026-10-20");

  await service("orders", "team-pay", "1.1.0", "2026-10-10");
  await tag(path.join(root, "services/orders"), "v1.0.0", "2026-10-15");
  await upgrade("services/orders", "2.0.0", "2026-11-20");

  await service("legacy", "team-bill", "1.0.0", "2026-09-02");
  await tag(path.join(root, "services/legacy"), "release-1", "2026-09-03");

  await service("billing", "team-bill", "2.0.0", "2026-11-12");
  const billing = path.join(root, "services/billing");
  writeFileSync(path.join(billing, ".nvmrc"), "18\n");
  rmSync(path.join(billing, "monitoring/slo.yaml"));
  appendFileSync(
    path.join(billing, ".paved.yml"),
    "waivers:\n  - check: paved/required-files\n    reason: SLOs move to the SRE repo\n    until: 2026-12-20\n",
  );
  await commit(billing, "2026-11-13", "team edits");

  // A git template source whose releases carry dates.
  const api = await templateRepo();
  const dated = (version: string, released: string) => ({
    ...versionFiles(version),
    "template.yaml": manifestText(version, `released: ${released}`),
  });
  await api.release("1.0.0", "v1.0.0", dated("1.0.0", "2026-08-01"));
  await api.release("1.1.0", "v1.1.0", dated("1.1.0", "2026-09-20"));
  await cli(["new", "api", "teams/x/api-svc", "--source", api.url, "--version", "1.0.0", "--yes"], "2026-09-10");
  await cli(["upgrade", "teams/x/api-svc", "--to", "1.1.0", "--commit", "--yes"], "2026-10-01");

  const plain = writeFiles(path.join(root, "plain"), { "README.md": "# not paved\n" });
  await gitAt(plain, ["init", "--quiet", "--initial-branch", "main"], "2026-09-01");
  await commit(plain, "2026-09-01", "first");

  const broken = writeFiles(path.join(root, "broken-yml"), { ".paved.yml": "template: service\nversion: [not, a, version\n" });
  await gitAt(broken, ["init", "--quiet", "--initial-branch", "main"], "2026-09-01");
  await commit(broken, "2026-09-01", "first");

  // A service known only by its git URL.
  const remotes = path.join(base, "remotes");
  mkdirSync(remotes);
  await service("catalog", "team-pay", "2.0.0", "2026-11-15", path.join(base, "work", "catalog"));
  await tag(path.join(base, "work", "catalog"), "v1", "2026-11-16");
  await gitAt(remotes, ["clone", "--quiet", "--bare", path.join(base, "work", "catalog"), "catalog.git"], "2026-11-16");
  const catalogUrl = `file://${path.join(remotes, "catalog.git")}`;
  const missingUrl = `file://${path.join(remotes, "missing.git")}`;

  const reposFile = path.join(base, "repos.txt");
  writeFileSync(reposFile, `# services outside the checkout folder\n${catalogUrl}\n\n${missingUrl}   # gone\n`);
  return { root, cache, reposFile, env, catalogUrl, missingUrl, apiSource: api.url, serviceSource };
}

function gitAt(dir: string, args: string[], day: string) {
  return execa("git", args, { cwd: dir, env: { ...CLI_ENV, ...at(day) } });
}

/** A git repository holding the built-in `service` at 1.0.0, 1.1.0 and 2.0.0, one tagged commit each. */
async function serviceReleases(base: string): Promise<string> {
  const dir = path.join(base, "service-template");
  await git(base, ["init", "--quiet", "--initial-branch", "main", dir]);
  for (const version of ["1.0.0", "1.1.0", "2.0.0"]) {
    for (const entry of readdirSync(dir)) if (entry !== ".git") rmSync(path.join(dir, entry), { recursive: true, force: true });
    cpSync(path.join(BUILTIN_TEMPLATES, "service", version), dir, { recursive: true, verbatimSymlinks: true });
    await git(dir, ["add", "--all"]);
    await git(dir, ["commit", "--quiet", "-m", `service ${version}`]);
    await git(dir, ["tag", `v${version}`]);
  }
  return `file://${dir}`;
}
