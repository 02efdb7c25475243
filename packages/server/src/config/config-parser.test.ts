import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sessionDefaults } from "../services/session-service.js";
import { InvalidError } from "../shared/errors.js";
import { parseConfig } from "./config-parser.js";
import { credentialVariables, settings } from "./config-settings.js";

const canary = "CANARY-config-7c21";

/** The message of the error `parse` throws. */
function problem(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidError);
    return (error as Error).message;
  }
  throw new Error("expected an InvalidError");
}

describe("parseConfig", () => {
  it("gives each setting of a scope its default, and leaves the others undefined", () => {
    const config = parseConfig("server", { env: { LOCKBOX_LOG_FORMAT: "json" } });
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 7420,
      dataDir: join(homedir(), ".lockbox"),
      logLevel: "info",
      logFormat: "json",
    });
    expect([config.trustProxy, config.maxContainers, config.databaseUrl]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.keys(config)).not.toContain("serverUrl");
  });

  it("takes an option over its variable, a variable over the default, and an empty one as unset", () => {
    const env = { LOCKBOX_PORT: "8080", LOCKBOX_HOST: "", LOCKBOX_MAX_CONTAINERS: "3" };
    const fromEnv = parseConfig("server", { env });
    expect(fromEnv).toMatchObject({ port: 8080, host: "127.0.0.1", maxContainers: 3 });
    const fromOptions = parseConfig("server", { env, options: { port: "9090", maxContainers: 5 } });
    expect(fromOptions).toMatchObject({ port: 9090, maxContainers: 5 });
  });

  it("lists every problem, naming the option or variable and what is allowed, never the value", () => {
    const message = problem(() =>
      parseConfig("server", {
        env: {
          LOCKBOX_MAX_CONTAINERS: `abc${canary}`,
          LOCKBOX_LOG_FORMAT: canary,
          LOCKBOX_BOOTSTRAP_TOKEN: "CANARY-short",
          LOCKBOX_TRUST_PROXY: `10.0.0.1,${canary}`,
        },
        options: { port: "99999" },
      }),
    );
    expect(message).toBe(
      "Invalid configuration: --port must be a whole number from 0 to 65535; " +
        "LOCKBOX_BOOTSTRAP_TOKEN must be at least 16 characters; LOCKBOX_LOG_FORMAT must be pretty or json; " +
        "LOCKBOX_MAX_CONTAINERS must be a whole number from 1 to 100000; " +
        `LOCKBOX_TRUST_PROXY must be ${settings.trustProxy.format.allowed}`,
    );
    expect(message).not.toContain("CANARY");
  });

  it("reads only the scope's settings: a bad server variable does not stop a client", () => {
    const env = { LOCKBOX_MAX_CONTAINERS: "abc", LOCKBOX_SERVER_URL: "https://lockbox.example" };
    expect(parseConfig("client", { env }).serverUrl).toBe("https://lockbox.example");
    expect(problem(() => parseConfig("server", { env }))).toMatch(/LOCKBOX_MAX_CONTAINERS/);
  });

  it("refuses a setting given without the one it needs", () => {
    const env = { LOCKBOX_DATABASE_MAX_CONNECTIONS: "5" };
    expect(
      problem(() => parseConfig("server", { env, options: { databaseReplicaUrl: "postgres://r/db" } })),
    ).toBe(
      "Invalid configuration: --database-replica-url is used only with --database-url or LOCKBOX_DATABASE_URL: set that too; " +
        "LOCKBOX_DATABASE_MAX_CONNECTIONS is used only with --database-url or LOCKBOX_DATABASE_URL: set that too",
    );
    const withPrimary = { ...env, LOCKBOX_DATABASE_URL: "postgres://p/db" };
    expect(parseConfig("server", { env: withPrimary }).databaseMaxConnections).toBe(5);
  });

  it.each([
    ["90s", 90],
    ["30m", 1800],
    ["12h", 43_200],
    ["7d", 604_800],
  ])("reads the duration %s as %i seconds", (text, seconds) => {
    expect(parseConfig("server", { env: { LOCKBOX_SESSION_LIFETIME: text } }).sessionLifetimeSeconds).toBe(
      seconds,
    );
  });

  it.each(["12", "0s", "1.5h", "1w", "366d", "-1h"])("refuses the duration %s", (text) => {
    expect(problem(() => parseConfig("server", { env: { LOCKBOX_SESSION_IDLE_TIMEOUT: text } }))).toMatch(
      /^Invalid configuration: LOCKBOX_SESSION_IDLE_TIMEOUT must be a duration such as 90s/,
    );
  });

  it.each(["1e3", " 12", "12 ", "0x10", "2.5", "-1", "0"])("refuses the count %j", (text) => {
    expect(problem(() => parseConfig("server", { env: { LOCKBOX_MAX_QUEUED_CALLS: text } }))).toMatch(
      /LOCKBOX_MAX_QUEUED_CALLS must be a whole number from 1 to 1000000$/,
    );
  });

  it("takes proxies as addresses, CIDR ranges and named ranges, comma-separated", () => {
    const env = { LOCKBOX_TRUST_PROXY: "10.0.0.0/8, 192.0.2.7,::1,fd00::/8,loopback" };
    expect(parseConfig("server", { env }).trustProxy).toEqual([
      "10.0.0.0/8",
      "192.0.2.7",
      "::1",
      "fd00::/8",
      "loopback",
    ]);
  });

  // Every address, or a hop count, would let a client that reaches the server directly name itself.
  it.each([
    "true",
    "*",
    "1",
    "0.0.0.0/0",
    "::/0",
    "10.0.0.1,",
    "10.0.0.0/33",
    "example.com",
  ])("refuses the proxies %j", (text) => {
    expect(problem(() => parseConfig("server", { env: { LOCKBOX_TRUST_PROXY: text } }))).toMatch(
      /^Invalid configuration: LOCKBOX_TRUST_PROXY must be addresses or CIDR ranges/,
    );
  });

  it("reads flags, backends and environment names for the client", () => {
    const env = { LOCKBOX_NO_MASK: "true", LOCKBOX_CONTAINER: "process", LOCKBOX_ENVIRONMENT: "staging" };
    expect(parseConfig("client", { env })).toMatchObject({
      noMask: true,
      container: "process",
      environment: "staging",
    });
    expect(parseConfig("client", { env: {} }).noMask).toBe(false);
    const bad = { LOCKBOX_NO_MASK: "yes", LOCKBOX_CONTAINER: "docker", LOCKBOX_ENVIRONMENT: "-x" };
    expect(problem(() => parseConfig("client", { env: bad }))).toBe(
      `Invalid configuration: LOCKBOX_ENVIRONMENT must be ${settings.environment.format.allowed}; ` +
        "LOCKBOX_CONTAINER must be sandbox or process; LOCKBOX_NO_MASK must be 1, true, 0 or false",
    );
  });

  it("states the defaults that the services apply", () => {
    const stated = parseConfig("server", {
      options: {
        sessionLifetimeSeconds: settings.sessionLifetimeSeconds.defaultText,
        sessionIdleSeconds: settings.sessionIdleSeconds.defaultText,
        maxFailedSignIns: settings.maxFailedSignIns.defaultText,
      },
    });
    expect(stated).toMatchObject({
      sessionLifetimeSeconds: sessionDefaults.lifetimeSeconds,
      sessionIdleSeconds: sessionDefaults.idleSeconds,
      maxFailedSignIns: sessionDefaults.maxFailedSignIns,
    });
  });

  it("gives credentials no option, which every user of the machine could read", () => {
    expect(credentialVariables).toEqual([
      "LOCKBOX_TOKEN",
      "LOCKBOX_OIDC_TOKEN",
      "LOCKBOX_MASTER_KEY",
      "LOCKBOX_BOOTSTRAP_TOKEN",
    ]);
    for (const setting of Object.values(settings)) {
      if ("credential" in setting) expect(setting).not.toHaveProperty("option");
    }
  });
});
