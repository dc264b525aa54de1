#!/usr/bin/env node
// Builds dist/ with esbuild. The command line: dist/cli.cjs, one file that bin/paved.cjs compiles with a V8 code
// cache (see below). The library API (dist/api.js), the fleet's worker and the modules scripts import: ES
// modules, one entry per command module, bundled with their dependencies and split into shared chunks, so
// Node resolves a handful of files instead of hundreds (zod alone is ~230 modules).
// Type checking stays with tsc (`npm run typecheck`).
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = path.join(root, "src");
const dist = path.join(root, "dist");
const packageRootModule = path.join(src, "package-root.ts");

/** Entry points keep the paths an unbundled build would have, so `import("./commands/x.js")` and scripts work. */
const entryPoints = [
  ...readdirSync(path.join(src, "commands"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(src, "commands", f)),
  path.join(src, "authoring", "schema.ts"),
  // The library API (package.json "exports"): what the Backstage action in integrations/backstage calls.
  path.join(src, "api.ts"),
  // `paved fleet` runs each repository's evaluation in a worker thread, which loads this file.
  path.join(src, "fleet", "worker.ts"),
].filter((file) => statSync(file, { throwIfNoEntry: false })?.isFile());

/**
 * In a bundle every module shares its chunk's `import.meta.url`. Give each module the URL it would have in
 * an unbundled dist/ instead (see src/package-root.ts), so relative paths such as `../../templates` hold.
 */
const moduleUrlPlugin = {
  name: "module-url",
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const contents = readFileSync(args.path, "utf8");
      if (args.path === packageRootModule || !contents.includes("import.meta.url")) return { contents, loader: "ts" };
      const relative = path.relative(src, args.path).split(path.sep).join("/").replace(/\.ts$/, ".js");
      return {
        contents:
          `import { moduleUrl as __pavedModuleUrl } from ${JSON.stringify(packageRootModule)};\n` +
          contents.replaceAll("import.meta.url", `__pavedModuleUrl(${JSON.stringify(relative)})`),
        loader: "ts",
      };
    });
  },
};

/**
 * zod re-exports all of its ~50 message locales as `z.locales`, half of its code. paved uses none but the
 * default (English, which zod's entry imports on its own), so the bundle keeps only that one.
 */
const zodEnglishOnlyPlugin = {
  name: "zod-english-only",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return { path: path.join(root, "scripts", "zod-locales-en.mjs") };
    });
  },
};

/** Commander's node:child_process, loaded on first use (scripts/lazy-child-process.cjs says why). */
const lazyChildProcessPlugin = {
  name: "lazy-child-process",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^(node:)?child_process$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)) return undefined;
      return { path: path.join(root, "scripts", "lazy-child-process.cjs") };
    });
  },
};

/**
 * chalk decides at load which colors stdout and stderr support (loading node:tty, and node:os, and with them
 * node:net). paved decides that itself (src/output.ts, resolveColorLevel) and makes its own `new Chalk({ level })`,
 * so chalk's detection is replaced by "none": its default instance, which paved never uses, has no colors.
 */
const noChalkDetectionPlugin = {
  name: "no-chalk-color-detection",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^#supports-color$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]chalk[\\/]/.test(args.importer)) return undefined;
      return { path: path.join(root, "scripts", "chalk-no-detection.mjs") };
    });
  },
};

const result = await build({
  entryPoints,
  outbase: src,
  outdir: dist,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: "chunks/[name]-[hash]",
  // CommonJS dependencies (commander, yaml, semver, picomatch) call require() for Node built-ins.
  banner: {
    js: 'import { createRequire as __pavedCreateRequire } from "node:module"; const require = __pavedCreateRequire(import.meta.url);',
  },
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  plugins: [moduleUrlPlugin, zodEnglishOnlyPlugin, noChalkDetectionPlugin],
});

/**
 * The command line is one CommonJS file, dist/cli.cjs, which bin/paved.cjs compiles with a V8 code cache
 * (its header says how). Node 20 has no compile cache for ES modules, and compiling paved's
 * code was about a third of a `paved new`. Modules reached only through `import()` (each command, each heavy
 * library) are bundled as functions that run on first use, so `paved --version` still evaluates none of them.
 */
const cli = await build({
  entryPoints: [path.join(src, "cli.ts")],
  outfile: path.join(dist, "cli.cjs"),
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  // What an ES module would see: strict mode, and its own file as import.meta.url.
  banner: { js: '"use strict";const __pavedImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { "import.meta.url": "__pavedImportMetaUrl" },
  // Prompts are required from node_modules when one is shown (src/prompts.ts): with them, the file would be 40%
  // larger (an editor prompt paved never shows brings iconv-lite), and every command would read that.
  external: ["@inquirer/prompts"],
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  plugins: [moduleUrlPlugin, zodEnglishOnlyPlugin, lazyChildProcessPlugin, noChalkDetectionPlugin],
});
Object.assign(result.metafile.outputs, cli.metafile.outputs);
// bin/paved.cjs runs the file through vm.Script with a code cache, where an import() failed (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING).
const cliText = readFileSync(path.join(dist, "cli.cjs"), "utf8");
if (/\bimport\(/.test(cliText)) {
  throw new Error("dist/cli.cjs has an import(): bundle the module, or require() it (see src/prompts.ts)");
}
// bin/paved.cjs reads it as Latin-1 (a copy, not a decode): that is the same text only while it is ASCII, as
// esbuild writes it (its default charset escapes every other character).
if (/[^\x00-\x7f]/.test(cliText)) throw new Error("dist/cli.cjs has a character outside ASCII: keep esbuild's default charset");

// Which source files went into which output file: test/e2e/startup.test.ts checks what --version loads with it.
const metafile = path.join(dist, "metafile.json");
const previous = readOutputs(metafile);
writeFileSync(metafile, JSON.stringify(result.metafile));

const thirdPartyLicenses = path.join(dist, "THIRD-PARTY-LICENSES.txt");
writeThirdPartyLicenses(result.metafile, thirdPartyLicenses);

/**
 * dist/THIRD-PARTY-LICENSES.txt: the license of every package bundled into dist/ (found from the metafile, so a
 * new dependency is listed the day it is bundled), then the code in paved's own files that follows another
 * project. The bundle keeps no comments, so the notices those licenses ask to travel with their code travel
 * beside it. A bundled package without a license file stops the build.
 */
function writeThirdPartyLicenses(meta, file) {
  const packageDirs = new Set();
  for (const output of Object.values(meta.outputs)) {
    for (const input of Object.keys(output.inputs)) {
      const found = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.split(path.sep).join("/"));
      if (found) packageDirs.add(found[1]);
    }
  }
  const licenseFiles = (dir) =>
    readdirSync(dir)
      .filter((name) => /^(licen[cs]e|copying|notice)([.-].*)?$/i.test(name))
      .sort();
  const sections = [...packageDirs].map((relative) => {
    const dir = path.join(root, relative);
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    const files = licenseFiles(dir);
    if (files.length === 0) throw new Error(`${relative} is bundled into dist/ but has no license file to ship with it`);
    const texts = files.map((name) => readFileSync(path.join(dir, name), "utf8").trim());
    return { title: `${pkg.name}@${pkg.version} (${pkg.license ?? "see its license below"})`, texts };
  });
  sections.sort((a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : 0));
  const handlebars = path.join(root, "node_modules", "handlebars");
  const rule = "=".repeat(78);
  const text = [
    "Third-party code in paved's dist/",
    "",
    "dist/ bundles the packages below (esbuild, no comments kept). Each is listed with its license text as",
    "the package ships it.",
    "",
    ...sections.flatMap((s) => [rule, s.title, rule, "", ...s.texts.flatMap((t) => [t, ""])]),
    rule,
    "Code in paved's own files that follows another project",
    rule,
    "",
    "src/render/handlebars-subset/whitespace-control.ts is a port of Handlebars' whitespace pass",
    "(lib/handlebars/compiler/whitespace-control.js), and src/render/handlebars-subset/template-parser.ts copies",
    "Handlebars' lexer rules (src/handlebars.l), from handlebars 4.7.10. Both are bundled into dist/. Handlebars'",
    "license:",
    "",
    ...licenseFiles(handlebars).map((name) => readFileSync(path.join(handlebars, name), "utf8").trim()),
    "",
    "src/diff/xdiff/line-diff.ts and src/diff/xdiff/diff3.ts follow git's xdiff, derived from LibXDiff by Davide",
    "Libenzi, and are LGPL-2.1-or-later: see LICENSE, LICENSES/LGPL-2.1-or-later.txt and src/diff/xdiff/README.md",
    "(shipped in this package).",
    "",
  ].join("\n");
  writeFileSync(file, text);
}

function readOutputs(file) {
  try {
    return Object.keys(JSON.parse(readFileSync(file, "utf8")).outputs).map((output) => path.resolve(root, output));
  } catch {
    return [];
  }
}

/**
 * Remove what earlier builds (e.g. tsc's one file per module) left in dist/ and this one did not write. The
 * previous build's chunks stay one more generation: a paved process started just before this build may still load them.
 */
const typesDir = path.join(dist, "types");
const keep = new Set([
  metafile,
  thirdPartyLicenses,
  ...previous,
  ...Object.keys(result.metafile.outputs).map((file) => path.resolve(root, file)),
]);
function removeStale(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    // The API's declarations come from tsc (`npm run build:types`, run by prepack), not from this build.
    if (full === typesDir) continue;
    if (entry.isDirectory()) {
      removeStale(full);
      if (readdirSync(full).length === 0) rmSync(full, { recursive: true });
    } else if (!keep.has(full)) {
      rmSync(full);
    }
  }
}
removeStale(dist);
