import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "integrations/backstage/test/**/*.test.ts"],
    // Vitest's default on this 2-core machine is one worker, which leaves the cores idle while e2e tests wait on
    // the git and paved processes they spawn: three workers took the suite from 943 s to 431 s here, all green.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
  resolve: {
    // The Backstage module imports paved by its package name, as in a real install; here that is this repository's build.
    alias: { paved: fileURLToPath(new URL("./dist/api.js", import.meta.url)) },
  },
});
