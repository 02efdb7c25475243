import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const postgresOnly = "packages/*/src/**/*.postgres.test.ts";

// Tests import each package from its source, so a change needs no rebuild to be tested;
// the CLI tests spawn the built `lockbox` binary, which `npm test` builds first.
export default defineConfig({
  resolve: {
    alias: {
      "@lockbox/server/http": fileURLToPath(new URL("packages/server/src/http/server.ts", import.meta.url)),
      "@lockbox/server/containers": fileURLToPath(
        new URL("packages/server/src/containers/index.ts", import.meta.url),
      ),
      "@lockbox/server/test-support": fileURLToPath(
        new URL("packages/server/src/test-support/index.ts", import.meta.url),
      ),
      "@lockbox/server/config": fileURLToPath(
        new URL("packages/server/src/config/index.ts", import.meta.url),
      ),
      "@lockbox/server/settings": fileURLToPath(
        new URL("packages/server/src/config/config-settings.ts", import.meta.url),
      ),
      "@lockbox/server/shared": fileURLToPath(
        new URL("packages/server/src/shared/index.ts", import.meta.url),
      ),
      "@lockbox/server": fileURLToPath(new URL("packages/server/src/index.ts", import.meta.url)),
    },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "default",
          include: ["packages/*/src/**/*.test.ts", "examples/**/*.test.ts"],
          // `*.postgres.test.ts` need the server the `postgres` project starts.
          exclude: [...configDefaults.exclude, postgresOnly],
        },
      },
      // The store contract on the second dialect: the service and API tests again, each test on
      // a fresh database of one PostgreSQL server started for the run (on loopback, as a
      // non-root user, in a temp folder; needs Debian's `postgresql` package).
      {
        extends: true,
        test: {
          name: "postgres",
          include: [
            "packages/server/src/services/**/*.test.ts",
            "packages/server/src/http/api.test.ts",
            "packages/server/src/http/bounded-requests.test.ts",
            "packages/server/src/http/failure-limits.test.ts",
            "packages/server/src/http/session-reads.test.ts",
            "packages/server/src/http/function-calls.test.ts",
            "packages/server/src/http/ephemeral-runs.test.ts",
            "packages/server/src/http/function-identity.test.ts",
            "packages/server/src/http/isolation.test.ts",
            "packages/server/src/http/oidc-exchange.test.ts",
            "packages/server/src/http/readiness.test.ts",
            "packages/server/src/metrics/**/*.test.ts",
            postgresOnly,
          ],
          // SQLite only: they read or tamper with the database file itself.
          exclude: ["packages/server/src/services/secret-at-rest.test.ts"],
          env: { LOCKBOX_TEST_DATABASE: "postgres" },
          globalSetup: ["packages/server/src/test-support/postgres-global-setup.ts"],
        },
      },
    ],
  },
});
