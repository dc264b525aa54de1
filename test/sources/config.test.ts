import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultSource, looksLikeUrl, userConfigFile } from "../../src/config.js";
import { UserError } from "../../src/errors.js";
import { tempDir, writeFiles } from "../helpers.js";

function setup() {
  const root = tempDir();
  const xdg = path.join(root, "xdg");
  const project = path.join(root, "work", "platform");
  const deep = path.join(project, "services", "api");
  writeFiles(root, { "work/platform/services/api/.keep": "" });
  return { root, xdg, project, deep, env: { XDG_CONFIG_HOME: xdg } as NodeJS.ProcessEnv };
}

describe("default source", () => {
  it("is undefined (the built-in templates) without env or config", () => {
    const { deep, env } = setup();
    expect(defaultSource(deep, env)).toBeUndefined();
  });

  it("takes the user config, then the nearest .pavedrc.yml above it, then PAVED_SOURCE above both", () => {
    const { xdg, project, deep, env } = setup();
    writeFiles(xdg, { "paved/config.yml": "source: https://git.example.com/acme/user-templates.git\n" });
    expect(userConfigFile(env)).toBe(path.join(xdg, "paved", "config.yml"));
    expect(defaultSource(deep, env)).toEqual({
      spec: "https://git.example.com/acme/user-templates.git",
      from: path.join(xdg, "paved", "config.yml"),
    });

    writeFiles(project, { ".pavedrc.yml": "source: ./golden-paths\n" });
    expect(defaultSource(deep, env)).toEqual({ spec: path.join(project, "golden-paths"), from: path.join(project, ".pavedrc.yml") });

    expect(defaultSource(deep, { ...env, PAVED_SOURCE: "git@github.com:acme/tpl.git" })).toEqual({
      spec: "git@github.com:acme/tpl.git",
      from: "PAVED_SOURCE",
    });
  });

  it("names the file and the key when a config file is invalid", () => {
    const { project, deep, env } = setup();
    writeFiles(project, { ".pavedrc.yml": "sourse: ./golden-paths\n" });
    let error: unknown;
    try {
      defaultSource(deep, env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toContain(path.join(project, ".pavedrc.yml"));
    expect((error as Error).message).toContain('unknown key "sourse"');
  });

  it("tells URLs from paths", () => {
    expect(looksLikeUrl("https://github.com/a/b.git")).toBe(true);
    expect(looksLikeUrl("file:///tmp/repo")).toBe(true);
    expect(looksLikeUrl("git@github.com:acme/tpl.git")).toBe(true);
    expect(looksLikeUrl("./templates")).toBe(false);
    expect(looksLikeUrl("/srv/templates")).toBe(false);
    expect(looksLikeUrl("C:\\templates")).toBe(false);
  });
});
