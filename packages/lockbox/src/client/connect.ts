import type { LockboxApi } from "@lockbox/server";
import type { FunctionCaller } from "./function-calls.js";
import { clientConfig } from "./settings.js";

/** A way to reach Lockbox: the API, and how to let go of it. */
export interface Connection {
  api: LockboxApi;
  /** In server mode: calls of deployed functions, which run on the server. */
  calls?: FunctionCaller | undefined;
  close(): Promise<void>;
}

interface ConnectOptions {
  /** Server to talk to; default `LOCKBOX_SERVER_URL`. Without one, Lockbox runs embedded. */
  serverUrl?: string | undefined;
  /** Bearer token for the server; default `LOCKBOX_TOKEN`, else one `LOCKBOX_IDENTITY` exchanges for. */
  token?: string | undefined;
  /** Data folder in embedded mode; default `LOCKBOX_HOME`, else `~/.lockbox`. */
  dataDir?: string | undefined;
}

/** The server that `connect()` talks to by default, or undefined: embedded mode. */
export const defaultServerUrl = (): string | undefined => clientConfig().serverUrl;

/**
 * Connects to a Lockbox server when a URL is set, else opens the data folder in this process.
 * @example const { api, close } = await connect();
 */
export async function connect(options: ConnectOptions = {}): Promise<Connection> {
  const config = clientConfig();
  const serverUrl = options.serverUrl || config.serverUrl;
  if (serverUrl) {
    const [{ createHttpClient }, { createFunctionCaller }, { serverAccess }] = await Promise.all([
      import("./http-client.js"),
      import("./function-calls.js"),
      import("./server-access.js"),
    ]);
    const server = serverAccess(serverUrl, config, options.token);
    return { api: createHttpClient(server), calls: createFunctionCaller(server), close: async () => {} };
  }
  const { connectEmbedded } = await import("./embedded-client.js");
  return connectEmbedded({
    dataDir: options.dataDir || config.dataDir,
    encodedKey: config.masterKey,
    backend: config.container,
  });
}
