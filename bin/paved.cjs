#!/usr/bin/env node
// paved's command line is one CommonJS file, dist/cli.cjs (scripts/build.mjs). This runs it through a V8 code
// cache: Node 20 cannot cache the compiled code of ES modules, and compiling paved's code (parsing it, then each
// function on its first call) was about a third of the CPU time of a `paved new`.
//
// The cache lives beside the code it was made from, in dist/.v8-cache/: whoever can write it can already change
// dist/cli.cjs, so it is trusted as the code is, and a reinstall or rebuild (which replaces dist/) drops it. One
// file per command, Node version and flags, and build (size and mtime of dist/cli.cjs), written after the command
// ran, so it holds the functions that command compiled. It is written again when a run compiled much more code
// than the cache was made with (a first `paved upgrade --help` must not leave `paved upgrade` a cache of help
// text), and when V8 rejects it (made by another V8 or with other flags). Read-only installs (e.g. a global one by root) run without it;
// PAVED_COMPILE_CACHE=0 turns it off. Nothing here may fail a command: every error means "no cache".
//
// This file is CommonJS: as an ES module it would start Node's ES module loader, which alone loads about twenty
// more of Node's own modules (node:fs/promises, readline, streams), a tenth of a `paved new`.
"use strict";
const {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} = require("node:fs");
const path = require("node:path");
const { getHeapCodeStatistics, setFlagsFromString } = require("node:v8");
const vm = require("node:vm");

/** A cache file: this tag, the size of the compiled code it was made from (uint32, little-endian), V8's data. */
const TAG = "PVC1";
/** How much more code a run must have compiled for its cache to replace the one it was given. */
const GROWTH = 1.25;
/** paved's commands: each gets its own cache (with the functions it compiled); anything else shares one. */
const COMMANDS = new Set(["new", "upgrade", "diff", "doctor", "adopt", "fleet", "template", "templates", "config", "help"]);
// V8 rejects a cache made under other flags. paved turns on the linear-time RegExp engine when a template has a
// pattern (src/adopt/linear-regex.ts), which would make every cache written after that useless to the next
// run: turn it on first, always (it changes nothing for expressions without the `l` flag).
setFlagsFromString("--enable-experimental-regexp-engine");
const filename = path.join(__dirname, "..", "dist", "cli.cjs");
// Latin-1, not UTF-8: the build writes only ASCII (scripts/build.mjs checks), which both read the same, and
// Latin-1 is a copy where UTF-8 is a decode (about 3 ms for the 1.5 MB file).
const source = readFileSync(filename, "latin1");
const cacheFile = compileCacheFile();
const cached = cacheFile === undefined ? undefined : readCache(cacheFile);

// The file has no import() (scripts/build.mjs checks): run from a cache, one failed with
// ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING even with importModuleDynamically set.
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename,
  cachedData: cached?.data,
});
if (cacheFile !== undefined) {
  process.once("exit", () => {
    const compiled = getHeapCodeStatistics().bytecode_and_metadata_size;
    if (cached === undefined || script.cachedDataRejected || compiled > cached.codeSize * GROWTH) writeCache(cacheFile, script, compiled);
  });
}
const cli = { exports: {} };
// The Module class's own createRequire (the same function node:module exports): node:module itself would load
// Node's ES module loader and source maps for nothing.
script.runInThisContext()(cli.exports, module.constructor.createRequire(filename), cli, filename, path.dirname(filename));

/** Which cache this run reads and writes, or undefined when there is none to use. */
function compileCacheFile() {
  if (/^(0|false|off|no)$/i.test(process.env.PAVED_COMPILE_CACHE ?? "")) return undefined;
  try {
    const { size, mtimeMs } = statSync(filename);
    const command = /^[a-z]{2,20}$/.test(process.argv[2] ?? "") && COMMANDS.has(process.argv[2]) ? process.argv[2] : "other";
    const key = [command, process.version, process.arch, flagsHash(), size, Math.trunc(mtimeMs)].join("-");
    return path.join(path.dirname(filename), ".v8-cache", `${key}.bin`);
  } catch {
    return undefined;
  }
}

/** Node's own flags (V8 would reject a cache made under others): runs with other flags keep their own cache. */
function flagsHash() {
  const flags = `${process.execArgv.join(" ")}\n${process.env.NODE_OPTIONS ?? ""}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < flags.length; i++) hash = Math.imul(hash ^ flags.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36);
}

/** A regular file only (a symlink is not followed); any error, or another layout, is "no cache". */
function readCache(file) {
  let fd;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    if (!fstatSync(fd).isFile()) return undefined;
    const bytes = readFileSync(fd);
    if (bytes.length < 8 || bytes.toString("latin1", 0, 4) !== TAG) return undefined;
    return { codeSize: bytes.readUInt32LE(4), data: bytes.subarray(8) };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Written to a new file and renamed into place, so a concurrent run reads a whole cache or none. */
function writeCache(file, compiledScript, codeSize) {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    // Opened before the cache is made: where it cannot be written, making it (a few ms) is not paid for.
    const fd = openSync(temporary, "wx", 0o644);
    try {
      const header = Buffer.alloc(8);
      header.write(TAG, 0, "latin1");
      header.writeUInt32LE(Math.min(codeSize, 0xffffffff), 4);
      writeFileSync(fd, Buffer.concat([header, compiledScript.createCachedData()]));
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch {
    // A read-only install, a full disk: run without a cache.
    try {
      rmSync(temporary, { force: true });
    } catch {
      // Nothing was written.
    }
  }
}
