import { type RunningServer, type ServerOptions, startServer } from "../http/server.js";
import { makeTempDir, removeTempDir } from "./temp-lockbox.js";
import { dropTestDatabase, testDatabaseUrl } from "./test-database.js";

export interface TestServer {
  url: string;
  dataDir: string;
  adminToken: string;
  server: RunningServer;
  /**
   * Calls the API as `token` (default: the bootstrap admin; `null` for none) with extra `headers`
   * (a `cookie`, an `x-csrf-token`); returns status, headers and parsed body.
   */
  call(method: string, path: string, options?: CallOptions): Promise<ApiAnswer>;
  dispose(): Promise<void>;
}

export interface CallOptions {
  body?: unknown;
  token?: string | null;
  headers?: Record<string, string>;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever the route answers
  body: any;
  text: string;
}

/** Calls the API at `baseUrl` as `token` (none when absent) with extra `headers`; returns status, headers and parsed body. */
export async function callApi(
  baseUrl: string,
  method: string,
  path: string,
  { body, token = null, headers: extra = {} }: CallOptions = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...extra };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

type TestServerOptions = { dataDir?: string } & Pick<
  ServerOptions,
  | "dashboardDir"
  | "sessionLifetimeSeconds"
  | "sessionIdleSeconds"
  | "databaseUrl"
  | "databaseReplicaUrl"
  | "maxFailedAuthentications"
  | "maxFailedAuthenticationsPerWorkspace"
>;

/**
 * A real `lockbox server` on loopback, on a free port, over a temp data folder (and a fresh
 * PostgreSQL database in the `postgres` test project).
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { dataDir = makeTempDir(), ...serverOptions } = options;
  const adminToken = `lbx_test_bootstrap_${Math.random().toString(36).slice(2)}`;
  const server = await startServer({
    ...serverOptions,
    host: "127.0.0.1",
    port: 0,
    dataDir,
    databaseUrl: options.databaseUrl ?? (await testDatabaseUrl(dataDir)),
    bootstrapToken: adminToken,
    logLevel: "silent",
  });
  return {
    url: server.url,
    dataDir,
    adminToken,
    server,
    call: (method, path, { token = adminToken, ...rest } = {}) =>
      callApi(server.url, method, path, { token, ...rest }),
    async dispose() {
      await server.close();
      await dropTestDatabase(dataDir);
      removeTempDir(dataDir);
    },
  };
}
