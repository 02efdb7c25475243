import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import each package from its source, so a change needs no rebuild to be tested;
// the CLI tests spawn the built `lockbox` binary, which `npm test` builds first.
export default defineConfig({
  resolve: {
    alias: {
      "@lockbox/server/http": fileURLToPath(new URL("packages/server/src/http/server.ts", import.meta.url)),
      "@lockbox/server/containers": fileURLToPath(
        new URL("packages/server/src/containers/index.ts", import.meta.url),
      ),
      "@lockbox/server/shared": fileURLToPath(
        new URL("packages/server/src/shared/index.ts", import.meta.url),
      ),
      "@lockbox/server": fileURLToPath(new URL("packages/server/src/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
