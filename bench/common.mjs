// What the benchmarks share: the environment paved runs in, and a private copy of the build to run.
import { cpSync, readFileSync } from "node:fs";
import path from "node:path";

/** CI mode, no colour, and a fixed git identity (commits need one, whoever runs the bench). */
export const BENCH_ENV = {
  ...process.env,
  CI: "true",
  NO_COLOR: "1",
  GIT_AUTHOR_NAME: "bench",
  GIT_AUTHOR_EMAIL: "bench@example.com",
  GIT_COMMITTER_NAME: "bench",
  GIT_COMMITTER_EMAIL: "bench@example.com",
};

/**
 * Copy a checkout's build (bin/, dist/, templates/, package.json) to `to`, so a rebuild in the (shared) checkout
 * cannot change what is measured halfway. Without the checkout's compile caches (dist/.v8-cache/): the copy makes
 * its own, as an install does. Returns the CLI's file, as that checkout's package.json names it (bin/paved.cjs
 * now, bin/paved.js before).
 */
export function copyBuild(from, to) {
  for (const entry of ["bin", "dist", "templates", "package.json"]) {
    cpSync(path.join(from, entry), path.join(to, entry), { recursive: true, filter: (file) => path.basename(file) !== ".v8-cache" });
  }
  const { bin } = JSON.parse(readFileSync(path.join(from, "package.json"), "utf8"));
  return path.join(to, bin.paved);
}
