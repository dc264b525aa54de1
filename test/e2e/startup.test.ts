import { spawnSync } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BIN, CLI_ENV, tempDir } from "../helpers.js";

const HEAVY = ["handlebars", "@inquirer", "execa", "yaml", "js-yaml", "zod", "picomatch", "semver"];

interface Coverage {
  result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }>;
}

/**
 * The modules of dist/cli.cjs a command evaluated. The bundler (scripts/build.mjs) wraps every module reached
 * only through `import()` (each command, each heavy library) in a function named after its source file, run on
 * first use; V8's precise coverage (NODE_V8_COVERAGE) says which of those functions ran.
 */
async function evaluatedModules(args: string[]): Promise<string[]> {
  const dir = tempDir();
  const result = await execa(process.execPath, [BIN, ...args], {
    env: { ...CLI_ENV, NODE_V8_COVERAGE: dir },
    reject: false,
  });
  expect(result.exitCode, result.stderr).toBe(0);
  const scripts = readdirSync(dir).flatMap((file) => (JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Coverage).result);
  const cli = scripts.filter((script) => script.url.endsWith("/dist/cli.cjs"));
  expect(cli).toHaveLength(1);
  return cli[0]!.functions
    .filter((fn) => fn.ranges[0]!.count > 0 && /^(src|node_modules)\//.test(fn.functionName))
    .map((fn) => fn.functionName);
}

const heavy = (modules: string[]) => modules.filter((file) => HEAVY.some((name) => file.includes(`node_modules/${name}/`)));

describe("start-up stays light", () => {
  it.each([["--version"], ["--help"], ["new", "--help"]])(
    "`paved %s` evaluates no template, prompt, git or validation code",
    async (...args) => {
      const modules = await evaluatedModules(args);
      // The check sees modules: commander and paved's own wiring ran.
      expect(modules).toContain("node_modules/commander/lib/command.js");
      expect(modules.some((file) => file === "src/output.ts")).toBe(true);
      expect(heavy(modules)).toEqual([]);
      expect(modules.filter((file) => file.startsWith("src/commands/"))).toEqual([]);
    },
  );

  it("would notice a heavy library: `paved templates list` evaluates zod and js-yaml", async () => {
    const modules = await evaluatedModules(["templates", "list"]);
    expect(modules.some((file) => file.startsWith("node_modules/zod/"))).toBe(true);
    expect(modules.some((file) => file.startsWith("node_modules/js-yaml/"))).toBe(true);
    expect(modules).toContain("src/commands/templates.ts");
  });

  it("`paved new --no-git` writing to files loads none of Node's modules for git, terminals, sockets or ES modules", async () => {
    const dir = tempDir();
    const preload = path.join(dir, "loaded.cjs");
    // Node's own modules, as Node lists them at exit (process.moduleLoadList: "NativeModule <name>").
    writeFileSync(
      preload,
      `process.on("exit", () => require("node:fs").writeFileSync(process.env.LOADED_RECORD, JSON.stringify(process.moduleLoadList)));\n`,
    );
    /** The modules a CommonJS script loaded, its output going straight to files (a pipe is a socket to Node). */
    const loadedBy = (script: string, args: string[], name: string) => {
      const record = path.join(dir, `${name}.json`);
      const stdout = openSync(path.join(dir, `${name}.out`), "w");
      const stderr = openSync(path.join(dir, `${name}.err`), "w");
      const result = spawnSync(process.execPath, ["--require", preload, script, ...args], {
        env: { ...CLI_ENV, LOADED_RECORD: record },
        stdio: ["ignore", stdout, stderr],
      });
      closeSync(stdout);
      closeSync(stderr);
      expect(result.status, readFileSync(path.join(dir, `${name}.err`), "utf8")).toBe(0);
      return (JSON.parse(readFileSync(record, "utf8")) as string[]).filter((m) => m.startsWith("NativeModule "));
    };
    // What Node loads for any script on this version (Node 22 and 24 load their ES module loader themselves).
    const empty = path.join(dir, "empty.cjs");
    writeFileSync(empty, "process.stdout.write('ok\\n');\n");
    const bare = new Set(loadedBy(empty, [], "bare"));
    const target = path.join(dir, "svc");
    const loaded = loadedBy(BIN, ["new", "service", target, "--set", "owner=team-payments", "--no-git", "--no-install", "--yes"], "paved");
    expect(readFileSync(path.join(dir, "paved.out"), "utf8")).toContain("svc");
    // The check sees Node's modules: the ones every run needs are listed.
    expect(loaded).toContain("NativeModule fs");
    expect(loaded).toContain("NativeModule vm");
    const added = loaded.filter((m) => !bare.has(m));
    expect(added.filter((m) => /^NativeModule (child_process|net|tty|dgram|crypto|readline)$/.test(m))).toEqual([]);
    // Nor node:module, which loads Node's ES module loader (bin/paved.cjs and the bundle use Module.createRequire).
    expect(added.filter((m) => /^NativeModule (module|internal\/modules\/esm\/loader)$/.test(m))).toEqual([]);
  });
});
