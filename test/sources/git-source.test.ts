import { existsSync, readdirSync, renameSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { credentialFreeUrl } from "../../src/redact.js";
import { cacheDirFor, GitSource, normalizeGitUrl, versionOfTag } from "../../src/templates/git-source.js";
import { openRecordedSource, openSource, recordSource, resolveVersion } from "../../src/templates/source.js";
import { entryText } from "../../src/tree.js";
import { git, tempDir, writeFiles } from "../helpers.js";
import { manifestText, templateRepo, versionFiles } from "./repo-fixture.js";

const saved = { ...process.env };
let warnings: string[] = [];
const warn = (m: string) => warnings.push(m);

beforeEach(() => {
  process.env.PAVED_CACHE = tempDir("paved-cache-");
  delete process.env.PAVED_CACHE_TTL;
  warnings = [];
});
afterEach(() => {
  process.env = { ...saved };
});

async function releasedRepo() {
  const repo = await templateRepo();
  await repo.release("1.0.0");
  await repo.release("1.1.0", "1.1.0");
  await repo.release("2.0.0-rc.1");
  await git(repo.dir, ["tag", "latest"]);
  // A newer commit that is not tagged is not a version.
  await repo.release("3.0.0", null);
  return repo;
}

describe("git source versions", () => {
  it("takes semver tags (v1.2.0 and 1.2.0) as versions, ignores untagged commits and other tags, hides pre-releases", async () => {
    const repo = await releasedRepo();
    const source = await openSource(repo.url, { warn });
    expect(source.kind).toBe("git");
    expect(await source.listTemplates()).toEqual(["api"]);
    expect(await source.listVersions("api")).toEqual(["1.0.0", "1.1.0"]);
    expect(await source.listAllVersions("api")).toEqual(["1.0.0", "1.1.0", "2.0.0-rc.1"]);
    expect(await resolveVersion(source, "api", undefined)).toBe("1.1.0");
    await expect(resolveVersion(source, "api", "2.0.0-rc.1")).rejects.toThrow(/pre-release.*/);
    await expect(resolveVersion(source, "api", "3.0.0")).rejects.toThrow(/no version 3\.0\.0/);

    const withPre = await openSource(repo.url, { prerelease: true, warn });
    expect(await withPre.listVersions("api")).toEqual(["1.0.0", "1.1.0", "2.0.0-rc.1"]);
    expect(await resolveVersion(withPre, "api", undefined)).toBe("2.0.0-rc.1");
    expect(warnings).toEqual([]);
  });

  it("reads each version's files as they are at its tag, with modes and symlinks", async () => {
    const repo = await templateRepo();
    await repo.release("1.0.0", "v1.0.0", { ...versionFiles("1.0.0"), "files/bin/run.sh": "#!/bin/sh\necho hi\n" });
    const { chmodSync, symlinkSync } = await import("node:fs");
    chmodSync(path.join(repo.dir, "files/bin/run.sh"), 0o755);
    writeFiles(repo.dir, { "files/docs/.keep": "" });
    symlinkSync("../README.md", path.join(repo.dir, "files/docs/README.md"));
    await git(repo.dir, ["add", "--all"]);
    await git(repo.dir, ["commit", "-q", "-m", "exec and link"]);
    await git(repo.dir, ["tag", "v1.0.1"]);
    await git(repo.dir, ["commit", "-q", "--allow-empty", "-m", "noop"]);
    writeFiles(repo.dir, { "template.yaml": manifestText("1.0.1") });
    await git(repo.dir, ["commit", "-q", "-am", "fix version"]);
    await git(repo.dir, ["tag", "-f", "-a", "v1.0.1", "-m", "annotated release"]);

    const source = await openSource(repo.url, { warn });
    const v100 = await source.loadVersion("api", "1.0.0");
    expect(v100.manifest.version).toBe("1.0.0");
    expect([...v100.files.keys()].sort()).toEqual(["README.md", "VERSION", "bin/run.sh"]);
    expect(entryText(v100.files.get("README.md")!)).toBe("# {{name}}\n\nFrom api 1.0.0.\n");
    expect(v100.files.get("bin/run.sh")!.mode).toBe(0o644);
    const v101 = await source.loadVersion("api", "1.0.1");
    expect(v101.files.get("bin/run.sh")!.mode).toBe(0o755);
    expect(v101.files.get("docs/README.md")!.symlink).toBe("../README.md");
    expect(entryText(v101.files.get("VERSION")!)).toBe("1.0.0\n");
    expect(v101.label).toContain("@v1.0.1");
    expect(v101.dir).toBeUndefined(); // read from git objects: no directory on disk
  });

  it("refuses a tag whose template.yaml has another version, naming the tag", async () => {
    const repo = await templateRepo();
    await repo.release("1.0.0", "v1.2.0");
    const source = await openSource(repo.url, { warn });
    const error = await source.loadVersion("api", "1.2.0").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/tag v1\.2\.0 holds a template\.yaml with version 1\.0\.0/);
  });

  it("names the template the repository holds when another is asked for", async () => {
    const repo = await releasedRepo();
    const source = await openSource(repo.url, { warn });
    const error = (await source.listVersions("service").catch((e: unknown) => e)) as UserError;
    expect(error.message).toMatch(/unknown template "service"/);
    expect(error.hint).toMatch(/paved new api/);
  });

  it("reads a local repository path in place, without the cache", async () => {
    const repo = await releasedRepo();
    const source = await openSource(repo.dir, { warn });
    expect(source.kind).toBe("git");
    expect(source.id).toBe(repo.dir);
    expect(await source.listVersions("api")).toEqual(["1.0.0", "1.1.0"]);
    expect(readdirSync(process.env.PAVED_CACHE!)).toEqual([]);
  });

  it("parses version tags strictly", () => {
    expect(versionOfTag("v1.2.0")).toBe("1.2.0");
    expect(versionOfTag("1.2.0-rc.1")).toBe("1.2.0-rc.1");
    expect(versionOfTag("v1.2")).toBeUndefined();
    expect(versionOfTag("release-1.2.0")).toBeUndefined();
    expect(versionOfTag("V1.2.0")).toBeUndefined();
  });
});

describe("git source cache", () => {
  it("clones once into PAVED_CACHE and does not fetch for the latest version within the TTL", async () => {
    const repo = await releasedRepo();
    const first = await openSource(repo.url, { warn });
    expect(await first.listVersions("api")).toEqual(["1.0.0", "1.1.0"]);
    const cached = cacheDirFor(repo.url);
    expect(cached.startsWith(path.join(process.env.PAVED_CACHE!, "git"))).toBe(true);
    expect(existsSync(path.join(cached, "paved-source.json"))).toBe(true);

    await repo.release("1.2.0");
    const second = await openSource(repo.url, { warn });
    expect(await second.listVersions("api")).toEqual(["1.0.0", "1.1.0"]);
    // Asking for the new version by name fetches it.
    expect(await resolveVersion(second, "api", "1.2.0")).toBe("1.2.0");
    expect(await second.listVersions("api")).toEqual(["1.0.0", "1.1.0", "1.2.0"]);
    // With the TTL at zero the latest is fetched.
    await repo.release("1.3.0");
    process.env.PAVED_CACHE_TTL = "0";
    const third = await openSource(repo.url, { warn });
    expect(await resolveVersion(third, "api", undefined)).toBe("1.3.0");
    expect(warnings).toEqual([]);
  });

  it("works offline from the cache with a warning, and says when the cache lacks what is asked", async () => {
    const repo = await releasedRepo();
    await (await openSource(repo.url, { warn })).listVersions("api");
    renameSync(repo.dir, `${repo.dir}-gone`);

    // Within the TTL nothing is fetched, so nothing to warn about.
    const quiet = await openSource(repo.url, { warn });
    expect((await quiet.loadVersion("api", "1.1.0")).manifest.version).toBe("1.1.0");
    expect(warnings).toEqual([]);

    process.env.PAVED_CACHE_TTL = "0";
    const offline = await openSource(repo.url, { warn });
    expect(await resolveVersion(offline, "api", undefined)).toBe("1.1.0");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not fetch .*using the cached copy/);

    warnings = [];
    const missing = await openSource(repo.url, { warn });
    await expect(resolveVersion(missing, "api", "9.0.0")).rejects.toThrow(/no version 9\.0\.0/);
    expect(warnings[0]).toMatch(/may lack the version asked for/);
  });

  it("replaces debris of a crashed clone, and says when the cache cannot be written", async () => {
    const repo = await releasedRepo();
    writeFiles(cacheDirFor(repo.url), { "objects/junk": "half a clone" });
    expect(await (await openSource(repo.url, { warn })).listVersions("api")).toEqual(["1.0.0", "1.1.0"]);

    process.env.PAVED_CACHE = path.join(writeFiles(tempDir(), { "a-file": "" }), "a-file");
    const error = (await (await openSource(repo.url, { warn })).listTemplates().catch((e: unknown) => e)) as UserError;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/cannot create the git cache/);
    expect(error.hint).toMatch(/PAVED_CACHE/);
  });

  it("fails clearly when a source was never cached and cannot be reached", async () => {
    const source = await openSource(`file://${tempDir()}/nowhere`, { warn });
    const error = (await source.listTemplates().catch((e: unknown) => e)) as UserError;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/cannot clone the template source file:\/\//);
    expect(readdirSync(path.join(process.env.PAVED_CACHE!, "git"))).toEqual([]);
  });
});

describe("credentials and recorded sources", () => {
  it("strips http credentials and tokens but keeps an ssh user name", () => {
    const stripCredentials = (url: string) => {
      const { url: clean, stripped } = credentialFreeUrl(url);
      return { url: clean, stripped };
    };
    expect(stripCredentials("https://x-access-token:ghp_secret@github.com/acme/tpl.git")).toEqual({
      url: "https://github.com/acme/tpl.git",
      stripped: true,
    });
    expect(stripCredentials("https://oauth2@gitlab.example.com/acme/tpl.git?private_token=abc")).toEqual({
      url: "https://gitlab.example.com/acme/tpl.git",
      stripped: true,
    });
    expect(stripCredentials("ssh://git@host.example/acme/tpl.git")).toEqual({
      url: "ssh://git@host.example/acme/tpl.git",
      stripped: false,
    });
    expect(stripCredentials("ssh://git:pw@host.example/acme/tpl.git").url).toBe("ssh://git@host.example/acme/tpl.git");
    expect(stripCredentials("git@github.com:acme/tpl.git")).toEqual({ url: "git@github.com:acme/tpl.git", stripped: false });
    expect(stripCredentials("file:///srv/tpl.git?token=abc#access_token=def")).toEqual({ url: "file:///srv/tpl.git", stripped: true });
    expect(normalizeGitUrl("https://TOKEN@GitHub.com/acme/tpl.git/")).toBe(normalizeGitUrl("https://github.com/acme/tpl"));
    expect(cacheDirFor("https://u:p@github.com/acme/tpl.git")).toBe(cacheDirFor("https://github.com/acme/tpl"));
  });

  it("a source opened with credentials has an id without them", () => {
    const source = GitSource.fromUrl("https://user:hunter2@git.example.com/acme/tpl.git");
    expect(source.id).toBe("https://git.example.com/acme/tpl.git");
    expect(source.credentialsStripped).toBe(true);
    expect(recordSource(source, "/anywhere")).toBe("https://git.example.com/acme/tpl.git");
  });

  it("records a nearby local source relative to the service and resolves it back from the service dir", async () => {
    const root = tempDir();
    const repo = await releasedRepo();
    const local = path.join(root, "templates");
    renameSync(repo.dir, local);
    const source = await openSource(local, { warn });
    const service = path.join(root, "services", "payments");
    const recorded = recordSource(source, service);
    expect(recorded).toBe("../../templates");
    const reopened = await openRecordedSource(service, recorded, { warn });
    expect(reopened.id).toBe(local);
    expect(await reopened.listVersions("api")).toEqual(["1.0.0", "1.1.0"]);
    expect(recordSource(source, "/srv/a/b/c/d")).toBe(local);
    expect(recordSource(await openSource("builtin"), service)).toBe("builtin");
    await expect(openRecordedSource(path.join(root, "elsewhere", "a", "b"), recorded)).rejects.toThrow(/does not exist/);
  });

  it("reuses credentials from PAVED_SOURCE for a recorded URL of the same repository", async () => {
    process.env.PAVED_SOURCE = "https://bot:token@git.example.com/acme/tpl.git";
    const source = (await openRecordedSource("/srv", "https://git.example.com/acme/tpl")) as GitSource;
    expect(source.id).toBe("https://git.example.com/acme/tpl.git");
    expect(source.credentialsStripped).toBe(true);
  });
});
