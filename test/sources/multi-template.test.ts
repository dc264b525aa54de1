import { readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { parseTemplateTag } from "../../src/templates/git-source.js";
import { openSource, versionFile } from "../../src/templates/source.js";
import { entryText } from "../../src/tree.js";
import { git, tempDir, writeFiles } from "../helpers.js";
import { templateRepo, templatesRepo, versionFiles } from "./repo-fixture.js";

const saved = { ...process.env };
const warn = () => {};

beforeEach(() => {
  process.env.PAVED_CACHE = tempDir("paved-cache-");
  delete process.env.PAVED_CACHE_TTL;
});
afterEach(() => {
  process.env = { ...saved };
});

async function failure(work: Promise<unknown>): Promise<UserError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe("release tags", () => {
  it("name the root template (v1.2.0, 1.2.0) or one of several (api@1.2.0, api-v1.2.0)", () => {
    expect(parseTemplateTag("v1.2.0")).toEqual({ name: undefined, version: "1.2.0", rank: 0 });
    expect(parseTemplateTag("1.2.0")).toEqual({ name: undefined, version: "1.2.0", rank: 1 });
    expect(parseTemplateTag("api@1.2.0")).toEqual({ name: "api", version: "1.2.0", rank: 0 });
    expect(parseTemplateTag("api@2.0.0-rc.1")).toEqual({ name: "api", version: "2.0.0-rc.1", rank: 0 });
    expect(parseTemplateTag("api-v1.2.0")).toEqual({ name: "api", version: "1.2.0", rank: 1 });
    expect(parseTemplateTag("web-v2-v1.0.0")).toEqual({ name: "web-v2", version: "1.0.0", rank: 1 });
    for (const other of ["latest", "api@v1.2.0", "api@1.2", "Api@1.2.0", "@scope/api@1.2.0", "api-1.2.0", "release-1.2.0", "-v1.0.0"]) {
      expect(parseTemplateTag(other), other).toBeUndefined();
    }
  });
});

describe.each([
  { style: "changesets (<name>@<version>, folders at the root)", folder: "" as const, tag: (n: string, v: string) => `${n}@${v}` },
  { style: "lerna (<name>-v<version>, a templates/ folder)", folder: "templates/" as const, tag: (n: string, v: string) => `${n}-v${v}` },
])("a git source with two templates: $style", ({ folder, tag }) => {
  async function twoTemplates() {
    const repo = await templatesRepo(folder);
    await repo.release("api", "1.0.0", tag("api", "1.0.0"));
    await repo.release("web", "0.1.0", tag("web", "0.1.0"));
    await repo.release("api", "1.1.0", tag("api", "1.1.0"));
    await repo.release("web", "0.2.0-rc.1", tag("web", "0.2.0-rc.1"));
    await repo.release("api", "1.2.0", null); // untagged: not a version
    return repo;
  }

  it("lists every template and each one's versions from the tags that name it", async () => {
    const repo = await twoTemplates();
    const source = await openSource(repo.url, { warn });
    expect(source.kind).toBe("git");
    expect(await source.listTemplates()).toEqual(["api", "web"]);
    expect(await source.listVersions("api")).toEqual(["1.0.0", "1.1.0"]);
    expect(await source.listVersions("web")).toEqual(["0.1.0"]);
    expect(await source.listAllVersions("web")).toEqual(["0.1.0", "0.2.0-rc.1"]);
    const prerelease = await openSource(repo.url, { warn, prerelease: true });
    expect(await prerelease.listVersions("web")).toEqual(["0.1.0", "0.2.0-rc.1"]);
  });

  it("reads each template's files at its tag, labelled with the tag, from no directory", async () => {
    const repo = await twoTemplates();
    const source = await openSource(repo.url, { warn });
    const api = await source.loadVersion("api", "1.0.0");
    const web = await source.loadVersion("web", "0.1.0");
    expect(api.manifest.name).toBe("api");
    expect(entryText(api.files.get("VERSION")!)).toBe("1.0.0\n");
    expect(entryText(web.files.get("README.md")!)).toBe("# {{name}}\n\nFrom web 0.1.0.\n");
    expect([...web.files.keys()].sort()).toEqual(["README.md", "VERSION"]);
    expect(web.dir).toBeUndefined();
    expect(web.label).toBe(`${repo.dir}@${tag("web", "0.1.0")}`);
    expect(versionFile(web, "files/README.md")).toBe(`${web.label}:files/README.md`);
  });

  it("reads a local checkout of such a repository as a git source, in place", async () => {
    const repo = await twoTemplates();
    const source = await openSource(repo.dir, { warn });
    expect(source.kind).toBe("git");
    expect(await source.listTemplates()).toEqual(["api", "web"]);
    expect(readdirSync(process.env.PAVED_CACHE!)).toEqual([]);
  });

  it("refuses one template's folder as --source, naming the repository to pass", async () => {
    const repo = await twoTemplates();
    const error = await failure(openSource(path.join(repo.dir, folder, "web"), { warn }));
    expect(error.message).toMatch(/holds one template but is not the root of a git repository/);
    expect(error.hint).toBe(`it is the template "web" of the repository ${repo.dir}: pass --source ${repo.dir} and the template's name`);
  });

  it("refuses an unknown template, naming the ones there are", async () => {
    const repo = await twoTemplates();
    const error = await failure((await openSource(repo.url, { warn })).listVersions("worker"));
    expect(error.message).toBe(`unknown template "worker" in ${repo.url}`);
    expect(error.hint).toMatch(/use one of: api, web/);
  });
});

describe("a template at the root beside templates in folders", () => {
  it("lists both when their names differ, each with its own tags", async () => {
    const repo = await templateRepo();
    await repo.release("1.0.0");
    writeFiles(path.join(repo.dir, "web"), versionFiles("0.1.0", "web"));
    await git(repo.dir, ["add", "--all"]);
    await git(repo.dir, ["commit", "-qm", "web"]);
    await git(repo.dir, ["tag", "web@0.1.0"]);
    const source = await openSource(repo.url, { warn });
    expect(await source.listTemplates()).toEqual(["api", "web"]);
    expect(await source.listVersions("api")).toEqual(["1.0.0"]);
    expect(await source.listVersions("web")).toEqual(["0.1.0"]);
    expect(entryText((await source.loadVersion("web", "0.1.0")).files.get("VERSION")!)).toBe("0.1.0\n");
  });
});

describe("ambiguous multi-template repositories are refused", () => {
  it("a v<version> tag on a commit holding several templates names no template", async () => {
    const repo = await templatesRepo();
    await repo.release("api", "1.0.0");
    await repo.release("web", "1.0.0", "v1.0.0");
    const error = await failure((await openSource(repo.url, { warn })).listTemplates());
    expect(error.message).toBe(`${repo.url}: tag v1.0.0 has no template.yaml at the repository root`);
    expect(error.hint).toMatch(
      /several templates \(api, web\): tag each release <name>@<version> \(e\.g\. api@1\.0\.0\) and delete the tag v1\.0\.0/,
    );
  });

  it("a refused tag deleted upstream stops mattering at once: the cache is fetched before the error stands", async () => {
    const repo = await templatesRepo();
    await repo.release("api", "1.0.0");
    await git(repo.dir, ["tag", "v1.0.0"]);
    expect((await failure((await openSource(repo.url, { warn })).listTemplates())).message).toMatch(/tag v1\.0\.0 has no template\.yaml/);
    await git(repo.dir, ["tag", "-d", "v1.0.0"]);
    // A later run within the cache's freshness window (no fetch for freshness) still reads past the stray tag.
    const later = await openSource(repo.url, { warn });
    expect(await later.listVersions("api", { want: "1.0.0" })).toEqual(["1.0.0"]);
    expect(await later.listTemplates()).toEqual(["api"]);
  });

  it("one name released both at the root (v-tags) and in a folder (name@ tags)", async () => {
    const repo = await templateRepo();
    await repo.release("1.0.0");
    writeFiles(repo.dir, Object.fromEntries(Object.entries(versionFiles("2.0.0")).map(([k, v]) => [`api/${k}`, v])));
    await git(repo.dir, ["add", "--all"]);
    await git(repo.dir, ["commit", "-qm", "api in a folder"]);
    await git(repo.dir, ["tag", "api@2.0.0"]);
    const error = await failure((await openSource(repo.url, { warn })).listVersions("api"));
    expect(error.message).toBe(
      `${repo.url}: template "api" is released both at the repository root (tag v1.0.0) and as a named template (tag api@2.0.0)`,
    );
  });

  it("a tag holding the template both in <name>/ and templates/<name>/", async () => {
    const repo = await templatesRepo();
    await repo.release("api", "1.0.0", null);
    writeFiles(path.join(repo.dir, "templates", "api"), versionFiles("1.0.0"));
    await git(repo.dir, ["add", "--all"]);
    await git(repo.dir, ["commit", "-qm", "copy"]);
    await git(repo.dir, ["tag", "api@1.0.0"]);
    const error = await failure((await openSource(repo.url, { warn })).loadVersion("api", "1.0.0"));
    expect(error.message).toBe(`${repo.url}: tag api@1.0.0 holds both api/template.yaml and templates/api/template.yaml`);
  });

  it("a named tag whose manifest has another name or version", async () => {
    const repo = await templatesRepo();
    await repo.release("api", "1.0.0", "api@1.1.0");
    await repo.release("web", "1.0.0", null);
    await git(repo.dir, ["mv", "web", "site"]);
    await git(repo.dir, ["commit", "-qm", "rename folder"]);
    await git(repo.dir, ["tag", "site@1.0.0"]);
    const source = await openSource(repo.url, { warn });
    expect((await failure(source.loadVersion("api", "1.1.0"))).message).toBe(
      `${repo.url}: tag api@1.1.0 holds api/template.yaml with version 1.0.0, not 1.1.0`,
    );
    expect((await failure(source.loadVersion("site", "1.0.0"))).message).toBe(
      `${repo.url}: tag site@1.0.0 holds site/template.yaml named "web", not "site"`,
    );
  });
});
