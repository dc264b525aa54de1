import { readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BIN, CLI_ENV, ROOT, tempDir } from "../helpers.js";

const TRACER = path.join(ROOT, "test", "support", "trace-imports.mjs");
const HEAVY = ["handlebars", "simple-git", "@inquirer", "execa", "yaml", "zod", "picomatch", "semver"];

async function loadedModules(args: string[]): Promise<string[]> {
  const file = path.join(tempDir(), "imports.txt");
  const result = await execa(process.execPath, ["--import", TRACER, BIN, ...args], { env: { ...CLI_ENV, PAVED_TRACE_IMPORTS: file }, reject: false });
  expect(result.exitCode).toBe(0);
  return readFileSync(file, "utf8").split("\n").filter(Boolean);
}

describe("start-up stays light", () => {
  it.each([["--version"], ["--help"], ["new", "--help"]])("`paved %s` loads no template, prompt, git or validation code", async (...args) => {
    const modules = await loadedModules(args);
    expect(modules.some((m) => m.includes("/dist/cli.js"))).toBe(true);
    const heavy = modules.filter((m) => HEAVY.some((name) => m.includes(`/node_modules/${name}`)));
    expect(heavy).toEqual([]);
  });
});
