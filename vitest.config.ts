import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "integrations/backstage/test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
  resolve: {
    // The Backstage module imports paved by its package name, as in a real install; here that is this repository's build.
    alias: { paved: fileURLToPath(new URL("./dist/api.js", import.meta.url)) },
  },
});
