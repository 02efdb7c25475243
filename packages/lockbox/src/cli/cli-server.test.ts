import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startCliServer } from "../test-support/cli-server.js";
import { runCli, tempDir } from "../test-support/run-cli.js";

describe("lockbox server", () => {
  const data = tempDir("lockbox-serve-");
  afterAll(() => data.remove());

  it("prints where it listens and a generated admin token once, then stops on SIGTERM", async () => {
    const server = await startCliServer({ LOCKBOX_HOME: data.path });
    const token = /^Admin token \(shown once, keep it safe\): (lbx_\S+)$/m.exec(server.output())?.[1];
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.output()).toContain(`export LOCKBOX_SERVER_URL=${server.url} LOCKBOX_TOKEN=${token}\n`);
    expect(server.output()).toContain(`open the dashboard at ${server.url}/`);
    const env = { LOCKBOX_HOME: data.path, LOCKBOX_SERVER_URL: server.url, LOCKBOX_TOKEN: token ?? "" };
    expect((await runCli(["secret", "create", "served", "A=1"], { env })).code).toBe(0);
    expect(await server.stop()).toBe(0);
  });

  it("does not print a token again on the next start, and points to the existing one", async () => {
    const server = await startCliServer({ LOCKBOX_HOME: data.path });
    expect(server.output()).not.toMatch(/lbx_/);
    expect(server.output()).toContain("LOCKBOX_BOOTSTRAP_TOKEN");
    expect(await server.stop()).toBe(0);
  });

  it("never prints a bootstrap token given in LOCKBOX_BOOTSTRAP_TOKEN, and serves --data-dir", async () => {
    const dir = tempDir("lockbox-data-dir-");
    const bootstrapToken = "lbx_given_bootstrap_token_abcdef";
    const server = await startCliServer({ LOCKBOX_BOOTSTRAP_TOKEN: bootstrapToken }, [
      "--data-dir",
      dir.path,
    ]);
    const env = { LOCKBOX_SERVER_URL: server.url, LOCKBOX_TOKEN: bootstrapToken };
    expect((await runCli(["secret", "list", "--json"], { env })).stdout).toBe("[]\n");
    expect(await server.stop()).toBe(0);
    expect(server.output()).not.toContain(bootstrapToken);
    expect(existsSync(join(dir.path, "lockbox.db"))).toBe(true);
    dir.remove();
  });

  it("exits 2 for a --database-url that is not PostgreSQL's, a replica without it, and a bad --port", async () => {
    const postgres = await runCli(["server", "--database-url", "mysql://localhost/db"], {
      env: { LOCKBOX_HOME: data.path },
    });
    expect(postgres.code).toBe(2);
    expect(postgres.stderr).toMatch(/^Error: Invalid server configuration: databaseUrl/);
    const replica = await runCli(["server", "--database-replica-url", "postgres://replica/db"], {
      env: { LOCKBOX_HOME: data.path },
    });
    expect(replica.code).toBe(2);
    expect(replica.stderr).toMatch(/databaseReplicaUrl: applies to PostgreSQL only/);
    const connections = await runCli(["server"], {
      env: { LOCKBOX_HOME: data.path, LOCKBOX_DATABASE_MAX_CONNECTIONS: "0" },
    });
    expect(connections.code).toBe(2);
    expect(connections.stderr).toMatch(/LOCKBOX_DATABASE_MAX_CONNECTIONS' is invalid/);
    const port = await runCli(["server", "--port", "http"], { env: { LOCKBOX_HOME: data.path } });
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/^Error: option '--port <port>' argument 'http' is invalid/);
  });
});
