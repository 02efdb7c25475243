import { existsSync } from "node:fs";
import { join } from "node:path";
import { settingsOf } from "@lockbox/server/settings";
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
    const env = { LOCKBOX_HOME: data.path };
    const postgres = await runCli(["server", "--database-url", "mysql://localhost/db"], { env });
    expect(postgres.code).toBe(2);
    expect(postgres.stderr).toBe(
      "Error: Invalid configuration: --database-url must be a postgres:// or postgresql:// URL\n",
    );
    const replica = await runCli(["server", "--database-replica-url", "postgres://replica/db"], { env });
    expect(replica.code).toBe(2);
    expect(replica.stderr).toMatch(
      /--database-replica-url is used only with --database-url or LOCKBOX_DATABASE_URL/,
    );
    const connections = await runCli(["server"], { env: { ...env, LOCKBOX_DATABASE_MAX_CONNECTIONS: "0" } });
    expect(connections.code).toBe(2);
    expect(connections.stderr).toMatch(
      /LOCKBOX_DATABASE_MAX_CONNECTIONS must be a whole number from 1 to 1000/,
    );
    const port = await runCli(["server", "--port", "http"], { env });
    expect(port.code).toBe(2);
    expect(port.stderr).toBe("Error: Invalid configuration: --port must be a whole number from 0 to 65535\n");
  });

  it("exits 2 naming every bad variable and what it allows, never a value, and starts nothing", async () => {
    const home = tempDir("lockbox-bad-config-");
    const result = await runCli(["server"], {
      env: {
        LOCKBOX_HOME: join(home.path, "data"),
        LOCKBOX_MAX_CONTAINERS: "abc",
        LOCKBOX_LOG_FORMAT: "xml",
        LOCKBOX_PORT: "99999",
        LOCKBOX_TRUST_PROXY: "everyone",
        LOCKBOX_BOOTSTRAP_TOKEN: "CANARY-short",
      },
    });
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr.split("\n")).toEqual([
      "Error: Invalid configuration: LOCKBOX_PORT must be a whole number from 0 to 65535; " +
        "LOCKBOX_BOOTSTRAP_TOKEN must be at least 16 characters; LOCKBOX_LOG_FORMAT must be pretty or json; " +
        "LOCKBOX_MAX_CONTAINERS must be a whole number from 1 to 100000; " +
        "LOCKBOX_TRUST_PROXY must be addresses or CIDR ranges, comma-separated (as 10.0.0.0/8,192.0.2.7), or loopback, linklocal, uniquelocal",
      "",
    ]);
    expect(result.stderr).not.toContain("CANARY");
    expect(existsSync(join(home.path, "data"))).toBe(false);
    home.remove();
  });

  it("has an option for every setting but credentials, each naming its variable, in --help", async () => {
    const help = (await runCli(["server", "--help"])).stdout.replace(/\s+/g, " ");
    for (const [, setting] of settingsOf("server")) {
      if (setting.option) expect(help).toContain(`${setting.option} ${setting.description}`);
      expect(help.includes(`(env: ${setting.variable})`)).toBe(setting.option !== undefined);
    }
  });

  it("takes an option over its variable", async () => {
    const server = await startCliServer(
      { LOCKBOX_HOME: data.path, LOCKBOX_PORT: "99999", LOCKBOX_HOST: "localhost" },
      ["--host", "127.0.0.1"],
    );
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await server.stop()).toBe(0);
  });
});
