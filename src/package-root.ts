import { existsSync } from "node:fs";

let root: URL | undefined;

/**
 * The directory holding paved's package.json (and templates/, bin/), found upward from this file, so it is
 * right from src/ (tests), dist/ and the bundle's chunks alike.
 */
export function packageRootUrl(): URL {
  if (root) return root;
  let dir = new URL(".", import.meta.url);
  while (!existsSync(new URL("package.json", dir))) {
    const parent = new URL("..", dir);
    if (parent.href === dir.href) throw new Error(`paved cannot find its package.json above ${import.meta.url}`);
    dir = parent;
  }
  root = dir;
  return dir;
}

/**
 * What `import.meta.url` is for the module `src/<relative>.ts` in an unbundled build (`dist/<relative>.js`).
 * The bundler substitutes it for `import.meta.url` in every module, so paths computed relative to a
 * module (`../../templates`) mean the same wherever the bundle puts its code.
 */
export function moduleUrl(relative: string): string {
  return new URL(`dist/${relative}`, packageRootUrl()).href;
}

/**
 * A dependency required from paved's node_modules rather than bundled (scripts/build.mjs leaves the heavy ones out).
 * node:module is asked for on first use: loading it loads Node's ES module loader, which most runs never need.
 */
export function requireDependency<T>(name: string): T {
  return process.getBuiltinModule("node:module").createRequire(new URL("package.json", packageRootUrl()))(name) as T;
}
