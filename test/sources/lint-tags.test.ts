import path from "node:path";
import { describe, expect, it } from "vitest";
import { lintTemplate } from "../../src/authoring/lint.js";
import { git, writeFiles } from "../helpers.js";
import { versionFiles, templatesRepo } from "./repo-fixture.js";

describe("paved template lint: tag/version agreement per template", () => {
  it("checks the tags that name the linted template, in <name>/ and templates/<name>/, and no other's", async () => {
    const repo = await templatesRepo();
    await repo.release("api", "1.0.0");
    await repo.release("web", "1.0.0");
    expect((await lintTemplate(path.join(repo.dir, "api"))).findings.filter((f) => f.rule.startsWith("version/"))).toEqual([]);

    // web@1.1.0 tags a commit whose web/template.yaml still says 1.0.0; api's tags are not web's business.
    await git(repo.dir, ["tag", "web@1.1.0"]);
    await git(repo.dir, ["tag", "api-v1.0.0"]);
    writeFiles(path.join(repo.dir, "web"), { "template.yaml": versionFiles("1.2.0", "web")["template.yaml"]! });
    const web = (await lintTemplate(path.join(repo.dir, "web"))).findings.filter((f) => f.rule.startsWith("version/"));
    expect(web.map((f) => `${f.rule}: ${f.message}`)).toEqual(["version/tag-mismatch: tag web@1.1.0 holds version 1.0.0, not 1.1.0"]);
    expect((await lintTemplate(path.join(repo.dir, "api"))).findings.filter((f) => f.rule.startsWith("version/"))).toEqual([]);

    const other = await templatesRepo("templates/");
    await other.release("api", "1.0.0", "api-v1.0.0");
    await git(other.dir, ["tag", "api@2.0.0"]);
    const api = (await lintTemplate(path.join(other.dir, "templates", "api"))).findings.filter((f) => f.rule.startsWith("version/"));
    expect(api.map((f) => `${f.rule}: ${f.message}`)).toEqual(["version/tag-mismatch: tag api@2.0.0 holds version 1.0.0, not 2.0.0"]);
  });
});
