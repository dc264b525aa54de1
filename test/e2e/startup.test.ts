import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BIN, CLI_ENV, ROOT, tempDir } from "../helpers.js";

const TRACER = path.join(ROOT, "test", "support", "trace-imports.mjs");
const HEAVY = ["handlebars", "simple-git", "@inquirer", "execa", "yaml", "js-yaml", "zod", "picomatch", "semver"];
/** Written by the bundler (scripts/build.mjs): which source files went into each file of dist/. */
const METAFILE = path.join(ROOT, "dist", "metafile.json");

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

const isHeavy = (file: string) => HEAVY.some((name) => file.includes(`node_modules/${name}/`));

async function loadedFiles(args: string[]): Promise<string[]> {
  const file = path.join(tempDir(), "imports.txt");
  const result = await execa(process.execPath, ["--import", TRACER, BIN, ...args], {
    env: { ...CLI_ENV, PAVED_TRACE_IMPORTS: file },
    reject: false,
  });
  expect(result.exitCode).toBe(0);
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((url) => url.startsWith("file:"))
    .map((url) => path.relative(ROOT, fileURLToPath(url)).split(path.sep).join("/"));
}

/** The source files inside each loaded file: itself, or for a bundled dist/ file, what the bundler put in it. */
function sourcesOf(loaded: string[]): string[] {
  const meta = existsSync(METAFILE) ? (JSON.parse(readFileSync(METAFILE, "utf8")) as Metafile) : undefined;
  return loaded.flatMap((file) => {
    if (!meta || !file.startsWith("dist/")) return [file];
    const output = meta.outputs[file];
    // A dist/ file the bundler did not write would escape the check: fail instead.
    expect(output, `${file} is not in dist/metafile.json`).toBeDefined();
    return Object.keys(output!.inputs);
  });
}

describe("start-up stays light", () => {
  it.each([["--version"], ["--help"], ["new", "--help"]])(
    "`paved %s` loads no template, prompt, git or validation code",
    async (...args) => {
      const loaded = await loadedFiles(args);
      expect(loaded).toContain("dist/cli.js");
      const sources = sourcesOf(loaded);
      expect(sources.some((s) => s.includes("src/cli.ts") || s === "dist/cli.js")).toBe(true);
      expect(sources.filter(isHeavy)).toEqual([]);
    },
  );

  it("would notice a heavy library: `paved templates list` loads zod and js-yaml", async () => {
    const sources = sourcesOf(await loadedFiles(["templates", "list"]));
    expect(sources.some((s) => s.includes("node_modules/zod/"))).toBe(true);
    expect(sources.some((s) => s.includes("node_modules/js-yaml/"))).toBe(true);
  });
});
