import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { cacheDirFor } from "../../src/templates/git-source.js";
import { git, runCli, tempDir, writeFiles } from "../helpers.js";
import { templateRepo, type TemplateRepo } from "../sources/repo-fixture.js";

let repo: TemplateRepo;
let cache: string;
let work: string;

/** Every run gets its own cache, no user config, no PAVED_SOURCE from the developer's shell. */
function env(extra: Record<string, string> = {}): Record<string, string> {
  return { PAVED_CACHE: cache, XDG_CONFIG_HOME: path.join(work, "xdg"), PAVED_SOURCE: "", PAVED_CACHE_TTL: "300", ...extra };
}

function cli(args: string[], extra: Record<string, string> = {}, cwd = work) {
  return runCli(args, { cwd, env: env(extra) });
}

function recorded(dir: string): string {
  return readFileSync(path.join(dir, ".paved.yml"), "utf8");
}

beforeAll(async () => {
  repo = await templateRepo();
  await repo.release("1.0.0");
  await repo.release("1.1.0", "1.1.0");
  await repo.release("2.0.0-rc.1");
  await repo.release("3.0.0", null); // newer but untagged: never a version
  cache = tempDir("paved-cache-");
  work = tempDir("paved-work-");
});

describe("paved new from a git source", () => {
  it("takes the newest release tag, ignores the untagged commit and records the URL", async () => {
    const target = path.join(work, "orders");
    const result = await cli(["new", "api", target, "--source", repo.url, "--no-git"]);
    expect(result.stderr).not.toContain("warning");
    expect(result.exitCode).toBe(0);
    expect(readFileSync(path.join(target, "VERSION"), "utf8")).toBe("1.1.0\n");
    expect(readFileSync(path.join(target, "README.md"), "utf8")).toBe("# orders\n\nFrom api 1.1.0.\n");
    expect(recorded(target)).toContain(`source: ${repo.url}\nversion: 1.1.0\n`);
    expect(existsSync(cacheDirFor(repo.url, { PAVED_CACHE: cache }))).toBe(true);
  });

  it("offers the pre-release only with --prerelease, in new and in templates list/show", async () => {
    const refused = await cli(["new", "api", path.join(work, "rc-refused"), "--source", repo.url, "--version", "2.0.0-rc.1", "--no-git"]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("--prerelease");

    const target = path.join(work, "rc");
    const result = await cli(["new", "api", target, "--source", repo.url, "--prerelease", "--no-git"]);
    expect(result.exitCode).toBe(0);
    expect(recorded(target)).toContain("version: 2.0.0-rc.1");

    const list = await cli(["templates", "list", "--source", repo.url, "--json"]);
    expect(JSON.parse(String(list.stdout)).templates).toEqual([
      { name: "api", description: "API template 1.1.0", latest: "1.1.0", versions: ["1.0.0", "1.1.0"] },
    ]);
    const show = await cli(["templates", "show", "api", "--source", repo.url, "--prerelease", "--json"]);
    const shown = JSON.parse(String(show.stdout));
    expect(shown.version).toBe("2.0.0-rc.1");
    expect(shown.versions.map((v: { version: string; changelog: string }) => `${v.version}: ${v.changelog}`)).toEqual([
      "1.0.0: Release 1.0.0",
      "1.1.0: Release 1.1.0",
      "2.0.0-rc.1: Release 2.0.0-rc.1",
    ]);
    expect(shown.questions.map((q: { name: string }) => q.name)).toEqual(["name"]);
  });

  it("templates show --version of a tag newer than a fresh cache fetches it and shows it with the rest", async () => {
    const own = await templateRepo();
    await own.release("1.0.0");
    const listed = await cli(["templates", "list", "--source", own.url, "--json"]);
    expect(JSON.parse(String(listed.stdout)).templates[0].versions).toEqual(["1.0.0"]);
    // Tagged after the cache was filled, within its TTL: only the explicit --version makes paved fetch.
    await own.release("1.2.0");
    const show = await cli(["templates", "show", "api", "--source", own.url, "--version", "1.2.0", "--json"]);
    expect(show.exitCode, String(show.stderr)).toBe(0);
    const shown = JSON.parse(String(show.stdout));
    expect(shown.version).toBe("1.2.0");
    expect(shown.versions.map((v: { version: string }) => v.version)).toEqual(["1.0.0", "1.2.0"]);
  });

  it("uses PAVED_SOURCE, then .pavedrc.yml found upward, as the default source", async () => {
    const fromEnv = path.join(work, "from-env");
    expect((await cli(["new", "api", fromEnv, "--no-git"], { PAVED_SOURCE: repo.url })).exitCode).toBe(0);
    expect(recorded(fromEnv)).toContain(`source: ${repo.url}`);

    const project = writeFiles(path.join(work, "monorepo"), { ".pavedrc.yml": `source: ${repo.url}\n`, "services/.keep": "" });
    const nested = path.join(project, "services");
    const result = await cli(["new", "api", "billing", "--no-git"], {}, nested);
    expect(result.exitCode).toBe(0);
    expect(recorded(path.join(nested, "billing"))).toContain(`source: ${repo.url}`);

    writeFileSync(path.join(project, ".pavedrc.yml"), "sources: nope\n");
    const broken = await cli(["new", "api", "other", "--no-git"], {}, nested);
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toContain(`${path.join(project, ".pavedrc.yml")}: unknown key "sources"`);
  });

  it("never writes credentials to .paved.yml, says so, and works offline from the cache", async () => {
    // A private repository: prime the cache as an earlier online run would have, then use it without a network.
    const privateUrl = "https://bot:s3cret-token@git.example.invalid/platform/api-template.git";
    const cached = cacheDirFor(privateUrl, { PAVED_CACHE: cache });
    await execa("git", ["clone", "--quiet", "--bare", repo.dir, cached]);
    await git(cached, ["config", "remote.origin.url", privateUrl]);
    await git(cached, ["config", "remote.origin.fetch", "+refs/tags/*:refs/tags/*"]);
    writeFileSync(path.join(cached, "paved-source.json"), "{}\n");

    const target = path.join(work, "private");
    const result = await cli(["new", "api", target, "--source", privateUrl, "--version", "1.0.0", "--no-git"]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("credentials in the source URL were left out of .paved.yml");
    expect(result.stderr).not.toContain("s3cret");
    expect(recorded(target)).toContain("source: https://git.example.invalid/platform/api-template.git\n");
    expect(recorded(target)).not.toContain("s3cret");
  });

  it("goes on offline with a warning when the fetch for the latest version fails", async () => {
    const moved = await templateRepo();
    await moved.release("1.0.0");
    expect((await cli(["templates", "list", "--source", moved.url])).exitCode).toBe(0);
    renameSync(moved.dir, `${moved.dir}-offline`);
    const target = path.join(work, "offline");
    const result = await cli(["new", "api", target, "--source", moved.url, "--no-git"], { PAVED_CACHE_TTL: "0" });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/warning: could not fetch file:\/\/.*using the cached copy/);
    expect(recorded(target)).toContain("version: 1.0.0");
  });
});

describe("paved upgrade across versions of a git source", () => {
  it("upgrades from the recorded source, fetching the new tag, keeping the team's edit", async () => {
    const upstream = await templateRepo();
    await upstream.release("1.0.0");
    const service = path.join(work, "payments");
    expect((await cli(["new", "api", service, "--source", upstream.url])).exitCode).toBe(0);
    writeFileSync(path.join(service, "NOTES.md"), "team notes\n");
    await git(service, ["add", "NOTES.md"]);
    await git(service, ["commit", "-qm", "notes"]);

    await upstream.release("1.1.0");
    await upstream.release("1.2.0", null); // untagged: not a version
    // Within the cache TTL the new tag is not fetched yet; with the TTL at 0 it is.
    const cachedCheck = await cli(["upgrade", service, "--check", "--json"]);
    expect(JSON.parse(String(cachedCheck.stdout))).toMatchObject({ current: "1.0.0", latest: "1.0.0" });
    const check = await cli(["upgrade", service, "--check", "--json"], { PAVED_CACHE_TTL: "0" });
    expect(check.exitCode).toBe(1);
    expect(JSON.parse(String(check.stdout))).toMatchObject({ current: "1.0.0", latest: "1.1.0", source: upstream.url });
    const result = await cli(["upgrade", service, "--commit"], { PAVED_CACHE_TTL: "0" });
    expect(result.stderr).not.toMatch(/error/);
    expect(result.exitCode).toBe(0);
    expect(readFileSync(path.join(service, "VERSION"), "utf8")).toBe("1.1.0\n");
    expect(readFileSync(path.join(service, "NOTES.md"), "utf8")).toBe("team notes\n");
    expect(recorded(service)).toContain(`source: ${upstream.url}\nversion: 1.1.0\n`);

    // doctor reads the recorded git source from the cache when the repository cannot be reached.
    renameSync(upstream.dir, `${upstream.dir}-unreachable`);
    const doctor = await cli(["doctor", service, "--json"], { PAVED_CACHE_TTL: "0" });
    const findings = JSON.parse(String(doctor.stdout)).findings as Array<{ check: string; status: string }>;
    expect(findings.find((f) => f.check === "paved/manifest")?.status).toBe("pass");
    expect(findings.find((f) => f.check === "paved/version-lag")?.status).toBe("pass");
    expect(String(doctor.stderr)).toMatch(/could not fetch file:\/\/.*using the cached copy/);
  });
});
