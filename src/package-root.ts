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
