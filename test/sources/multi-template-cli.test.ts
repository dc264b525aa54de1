import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { git, runCli, snapshotDir, tempDir, writeFiles } from "../helpers.js";
import { templatesRepo, type TemplatesRepo } from "./repo-fixture.js";

const STACK = /\n\s+at .*\.js:\d+/;

let repo: TemplatesRepo;
let cache: string;
let work: string;

/** Every run gets its own cache, no user config, no PAVED_SOURCE from the developer's shell; new tags are fetched at once. */
function cli(args: string[], cwd = work) {
  return runCli(args, {
    cwd,
    env: { PAVED_CACHE: cache, XDG_CONFIG_HOME: path.join(work, "xdg"), PAVED_SOURCE: "", PAVED_CACHE_TTL: "0" },
  });
}

function recorded(dir: string): string {
  return readFileSync(path.join(dir, ".paved.yml"), "utf8");
}

beforeAll(async () => {
  // One repository, two templates, changesets tags for one and lerna tags for the other.
  repo = await templatesRepo();
  await repo.release("api", "1.0.0");
  await repo.release("web", "0.1.0", "web-v0.1.0");
  await repo.release("web", "0.2.0", "web-v0.2.0");
  cache = tempDir("paved-cache-");
  work = tempDir("paved-work-");
});

describe("paved templates --source <repository of several templates>", () => {
  it("lists every template with its versions", async () => {
    const list = await cli(["templates", "--source", repo.url]);
    expect(String(list.stderr)).not.toMatch(/warning|error/);
    expect(list.exitCode).toBe(0);
    expect(String(list.stdout)).toBe(
      [
        "api  1.0.0     API template 1.0.0",
        "     versions: 1.0.0",
        "web  0.2.0     web template 0.2.0",
        "     versions: 0.2.0, 0.1.0",
      ].join("\n"),
    );
    const json = JSON.parse(String((await cli(["templates", "list", "--source", repo.url, "--json"])).stdout));
    expect(json.templates).toEqual([
      { name: "api", description: "API template 1.0.0", latest: "1.0.0", versions: ["1.0.0"] },
      { name: "web", description: "web template 0.2.0", latest: "0.2.0", versions: ["0.1.0", "0.2.0"] },
    ]);
    const show = JSON.parse(String((await cli(["templates", "show", "web", "--source", repo.url, "--json"])).stdout));
    expect(show).toMatchObject({ name: "web", version: "0.2.0" });
    expect(show.versions.map((v: { version: string }) => v.version)).toEqual(["0.1.0", "0.2.0"]);
  });
});

describe("new and upgrade with one template of several", () => {
  it("upgrades a service between two tags of its template and leaves the other template's service untouched", async () => {
    const api = path.join(work, "orders");
    const web = path.join(work, "site");
    expect((await cli(["new", "api", api, "--source", repo.url])).exitCode).toBe(0);
    expect((await cli(["new", "web", web, "--source", repo.url, "--version", "0.1.0"])).exitCode).toBe(0);
    expect(recorded(api)).toContain(`template: api\nsource: ${repo.url}\nversion: 1.0.0\n`);
    expect(recorded(web)).toContain(`template: web\nsource: ${repo.url}\nversion: 0.1.0\n`);
    expect(readFileSync(path.join(api, "README.md"), "utf8")).toBe("# orders\n\nFrom api 1.0.0.\n");
    writeFileSync(path.join(api, "NOTES.md"), "team notes\n");
    await git(api, ["add", "NOTES.md"]);
    await git(api, ["commit", "-qm", "notes"]);

    // A release of api; web's newest stays 0.2.0.
    await repo.release("api", "1.1.0");
    const check = await cli(["upgrade", api, "--check", "--json"]);
    expect(check.exitCode).toBe(1);
    expect(JSON.parse(String(check.stdout))).toMatchObject({ template: "api", current: "1.0.0", latest: "1.1.0" });
    const webCheck = await cli(["upgrade", web, "--check", "--json"]);
    expect(JSON.parse(String(webCheck.stdout))).toMatchObject({ template: "web", current: "0.1.0", latest: "0.2.0" });

    // An author previews the release from the template's folder in a checkout: its tags, not the folder's files.
    const preview = await cli(["template", "diff", path.join(repo.dir, "api"), "--from", "1.0.0", "--to", "1.1.0", "--set", "name=orders"]);
    expect(preview.exitCode, String(preview.stderr)).toBe(0);
    expect(String(preview.stdout)).toMatch(/-From api 1\.0\.0\.\n\+From api 1\.1\.0\.\n[\s\S]*api 1\.0\.0 -> 1\.1\.0: 2 files change/);

    // fleet reads each service's lag from its own template's tags.
    const fleet = JSON.parse(String((await cli(["fleet", "report", api, web, "--no-cache", "--format", "json"])).stdout));
    const lags = fleet.services.map(
      (row: { template: string; version: string; lag: { latest: string } }) => `${row.template} ${row.version} -> ${row.lag.latest}`,
    );
    expect(lags.sort()).toEqual(["api 1.0.0 -> 1.1.0", "web 0.1.0 -> 0.2.0"]);

    const webBefore = snapshotDir(web);
    const upgraded = await cli(["upgrade", api, "--commit"]);
    expect(upgraded.stderr).not.toMatch(/error/);
    expect(upgraded.exitCode).toBe(0);
    expect(readFileSync(path.join(api, "VERSION"), "utf8")).toBe("1.1.0\n");
    expect(readFileSync(path.join(api, "README.md"), "utf8")).toBe("# orders\n\nFrom api 1.1.0.\n");
    expect(readFileSync(path.join(api, "NOTES.md"), "utf8")).toBe("team notes\n");
    expect(recorded(api)).toContain("version: 1.1.0\n");
    expect(snapshotDir(web)).toEqual(webBefore);

    // doctor's version lag reads the template's own tags: web is one release behind, api is current.
    const lag = async (dir: string) => {
      const report = JSON.parse(String((await cli(["doctor", dir, "--json"])).stdout));
      return report.findings.find((f: { check: string }) => f.check === "paved/version-lag");
    };
    expect(await lag(api)).toMatchObject({ status: "pass" });
    expect((await lag(web)).message).toMatch(/0\.2\.0/);

    const diff = await cli(["diff", api]);
    expect(diff.exitCode).toBe(0);
  });
});

describe("a source with no template is refused (exit 2, the layouts looked for, nothing written)", () => {
  it("a git repository without release tags, and a directory without <name>/<version>/template.yaml", async () => {
    const untagged = await templatesRepo();
    await untagged.release("api", "1.0.0", null);
    const empty = writeFiles(tempDir("paved-empty-"), { "README.md": "no templates here\n" });
    const before = snapshotDir(work);
    for (const source of [untagged.url, untagged.dir, empty]) {
      const result = await cli(["templates", "--source", source]);
      expect(result.exitCode, source).toBe(2);
      expect(String(result.stdout)).toBe("");
      expect(result.stderr).not.toMatch(STACK);
      const layouts =
        source === empty ? /a directory laid out as <name>\/<version>\/template\.yaml/ : /<name>@<version> or <name>-v<version>/;
      expect(String(result.stderr)).toMatch(layouts);
      expect(String(result.stderr).split("\n")[0]).toBe(`error: ${source === untagged.dir ? untagged.dir : source} holds no template`);
    }
    const refused = await cli(["new", "api", path.join(work, "nothing"), "--source", untagged.url]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).not.toMatch(STACK);
    expect(String(refused.stderr)).toMatch(/unknown template "api"/);
    expect(existsSync(path.join(work, "nothing"))).toBe(false);
    expect(snapshotDir(work)).toEqual(before);
  });
});
