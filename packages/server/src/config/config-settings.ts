import { clientSettings } from "./client-settings.js";
import {
  duration,
  type Format,
  httpUrl,
  oneOf,
  postgresUrl,
  text,
  trustedProxies,
  wholeNumber,
} from "./config-formats.js";

/** Who reads a setting: `lockbox server`, `lockbox admin …`, or every other command and the SDK. */
export type Scope = "client" | "server" | "admin";

/** One setting: a `LOCKBOX_*` variable, and an option of the commands that take one. */
export interface Setting<T> {
  readonly variable: `LOCKBOX_${string}`;
  /** The option's flags (commander's syntax) on `lockbox server` and `lockbox admin …`, if it has one. */
  readonly option?: string;
  readonly description: string;
  readonly format: Format<T>;
  readonly scopes: readonly Scope[];
  /** The value when none is given, written as a user would write it (and checked like one). */
  readonly default?: string | (() => string);
  /** The default in words, when it is computed (here or where the setting is used). */
  readonly defaultText?: string;
  /** A credential: never an option (any user of the machine can read a command line), kept from `lockbox exec`'s command. */
  readonly credential?: true;
  /** The key of another setting that this one needs. */
  readonly needs?: string;
}

export const logFormats = ["pretty", "json"] as const;
const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * Every setting of Lockbox, once: `lockbox --help`, each command's options and the parser are
 * made from this, and a test holds the README's table to it. An option given wins over its variable.
 */
export const settings = {
  ...clientSettings,
  host: {
    variable: "LOCKBOX_HOST",
    option: "--host <host>",
    description: "address to listen on",
    format: text(),
    scopes: ["server"],
    default: "127.0.0.1",
  },
  port: {
    variable: "LOCKBOX_PORT",
    option: "--port <port>",
    description: "port to listen on (0: any free port)",
    format: wholeNumber(0, 65_535),
    scopes: ["server"],
    default: "7420",
  },
  publicUrl: {
    variable: "LOCKBOX_PUBLIC_URL",
    option: "--public-url <url>",
    description:
      "the URL clients and cloud providers reach the server at: the issuer of functions' identity tokens",
    format: httpUrl,
    scopes: ["server"],
    defaultText: "the address it listens on",
  },
  databaseUrl: {
    variable: "LOCKBOX_DATABASE_URL",
    option: "--database-url <url>",
    description: "store everything in PostgreSQL",
    format: postgresUrl,
    scopes: ["server", "admin"],
    defaultText: "SQLite in the data folder",
  },
  databaseReplicaUrl: {
    variable: "LOCKBOX_DATABASE_REPLICA_URL",
    option: "--database-replica-url <url>",
    description: "a read replica of it, for listings and history",
    format: postgresUrl,
    scopes: ["server"],
    needs: "databaseUrl",
  },
  databaseMaxConnections: {
    variable: "LOCKBOX_DATABASE_MAX_CONNECTIONS",
    option: "--database-max-connections <count>",
    description: "connections to PostgreSQL at most, per database",
    format: wholeNumber(1, 1000),
    scopes: ["server"],
    defaultText: "10",
    needs: "databaseUrl",
  },
  bootstrapToken: {
    variable: "LOCKBOX_BOOTSTRAP_TOKEN",
    description: "the admin token an empty store starts with",
    format: text(16),
    scopes: ["server"],
    defaultText: "one generated and printed once",
    credential: true,
  },
  logLevel: {
    variable: "LOCKBOX_LOG_LEVEL",
    option: "--log-level <level>",
    description: `how much the log says: ${logLevels.join(", ")}`,
    format: oneOf(logLevels),
    scopes: ["server"],
    default: "info",
  },
  logFormat: {
    variable: "LOCKBOX_LOG_FORMAT",
    option: "--log-format <format>",
    description: "log lines: pretty (readable) or json",
    format: oneOf(logFormats),
    scopes: ["server"],
    default: () => (process.stdout.isTTY ? "pretty" : "json"),
    defaultText: "pretty on a terminal, else json",
  },
  maxContainers: {
    variable: "LOCKBOX_MAX_CONTAINERS",
    option: "--max-containers <count>",
    description: "containers of function calls at most, starting, busy or idle",
    format: wholeNumber(1, 100_000),
    scopes: ["server"],
    defaultText: "4 a core, at most as many as fit in 3/4 of the memory at 512 MiB each",
  },
  maxQueuedCalls: {
    variable: "LOCKBOX_MAX_QUEUED_CALLS",
    option: "--max-queued-calls <count>",
    description: "calls that may wait for a container, one workspace's at most half; past it, 429",
    format: wholeNumber(1, 1_000_000),
    scopes: ["server"],
    defaultText: "4 × max-containers",
  },
  metricsPort: {
    variable: "LOCKBOX_METRICS_PORT",
    option: "--metrics-port <port>",
    description: "serve /metrics for Prometheus on this port of its own, not the API's (0: any free port)",
    format: wholeNumber(0, 65_535),
    scopes: ["server"],
    defaultText: "no metrics",
  },
  metricsHost: {
    variable: "LOCKBOX_METRICS_HOST",
    option: "--metrics-host <host>",
    description: "address of the metrics port",
    format: text(),
    scopes: ["server"],
    default: "127.0.0.1",
  },
  trustProxy: {
    variable: "LOCKBOX_TRUST_PROXY",
    option: "--trust-proxy <proxies>",
    description:
      "the load balancers in front of the server, whose X-Forwarded-For and X-Forwarded-Proto it believes: failure limits and the audit log then see the client's address",
    format: trustedProxies,
    scopes: ["server"],
    defaultText: "none, the headers are ignored",
  },
  sessionLifetimeSeconds: {
    variable: "LOCKBOX_SESSION_LIFETIME",
    option: "--session-lifetime <duration>",
    description: "a dashboard session ends this long after sign-in",
    format: duration(365),
    scopes: ["server"],
    defaultText: "12h",
  },
  sessionIdleSeconds: {
    variable: "LOCKBOX_SESSION_IDLE_TIMEOUT",
    option: "--session-idle-timeout <duration>",
    description: "a dashboard session unused this long ends",
    format: duration(365),
    scopes: ["server"],
    defaultText: "1h",
  },
  maxFailedAuthentications: {
    variable: "LOCKBOX_MAX_FAILED_AUTHENTICATIONS",
    option: "--max-failed-authentications <count>",
    description: "failed bearer tokens audited per client address, and per token, a minute; more get 429",
    format: wholeNumber(1, 1_000_000),
    scopes: ["server"],
    defaultText: "20",
  },
  maxFailedAuthenticationsPerWorkspace: {
    variable: "LOCKBOX_MAX_FAILED_AUTHENTICATIONS_PER_WORKSPACE",
    option: "--max-failed-authentications-per-workspace <count>",
    description:
      "failed bearer tokens audited per workspace and minute (the token's, or default for unknown tokens); more get 429",
    format: wholeNumber(1, 1_000_000),
    scopes: ["server"],
    defaultText: "100",
  },
  maxFailedSignIns: {
    variable: "LOCKBOX_MAX_FAILED_SIGN_INS",
    option: "--max-failed-sign-ins <count>",
    description:
      "failed dashboard sign-ins per client address and minute; past it, the address is refused until the minute ends",
    format: wholeNumber(1, 1_000_000),
    scopes: ["server"],
    defaultText: "10",
  },
} as const satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
export type SettingKey = keyof Settings;
/** The settings that `scope` reads. */
type ScopeKey<S extends Scope> = {
  [K in SettingKey]: S extends Settings[K]["scopes"][number] ? K : never;
}[SettingKey];
type ValueOf<K extends SettingKey> = Settings[K]["format"] extends Format<infer T> ? T : never;

/** What `scope` reads, parsed: a value for each of its settings (undefined: not given, no default here). */
export type Config<S extends Scope> = {
  readonly [K in ScopeKey<S>]: Settings[K] extends { default: unknown } ? ValueOf<K> : ValueOf<K> | undefined;
};

/** Options for `scope`: text as a command line gives it, or values from a program. */
export type ConfigInput<S extends Scope> = { [K in ScopeKey<S>]?: ValueOf<K> | string | undefined };

/** The settings `scope` reads, in the order of the declaration. */
export function settingsOf(scope: Scope): [SettingKey, Setting<unknown>][] {
  return (Object.entries(settings) as [SettingKey, Setting<unknown>][]).filter(([, setting]) =>
    setting.scopes.includes(scope),
  );
}

/** The variables that hold credentials. */
export const credentialVariables: readonly string[] = Object.values(
  settings as Record<string, Setting<unknown>>,
)
  .filter((setting) => setting.credential)
  .map((setting) => setting.variable);
