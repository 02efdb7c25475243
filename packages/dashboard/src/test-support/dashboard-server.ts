import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bootstrapToken } from "../../../lockbox/src/test-support/cli-modes.js";
import { type CliServer, startCliServer } from "../../../lockbox/src/test-support/cli-server.js";
import { tempDir } from "../../../lockbox/src/test-support/run-cli.js";

const builtIndex = fileURLToPath(new URL("../../dist/index.html", import.meta.url));

/** A `lockbox server` process serving the built dashboard, with an admin token and a way to call its API. */
export interface DashboardServer {
  url: string;
  adminToken: string;
  /** The server's data folder (removed by `stop`). */
  dataDir: string;
  /** Everything the server printed so far: its log. */
  output(): string;
  /** Calls `/v1${path}` with a bearer token (the admin's unless given); returns status and JSON body. */
  api(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/** Starts the server with `env` (say, `LOCKBOX_LOG_LEVEL`) on top of its data folder and bootstrap token. */
export async function startDashboardServer(env: Record<string, string> = {}): Promise<DashboardServer> {
  if (!existsSync(builtIndex)) throw new Error(`${builtIndex} is missing: build first (npm run build)`);
  const data = tempDir("lockbox-dashboard-");
  let server: CliServer;
  try {
    server = await startCliServer({
      ...env,
      LOCKBOX_HOME: data.path,
      LOCKBOX_BOOTSTRAP_TOKEN: bootstrapToken,
    });
  } catch (error) {
    data.remove();
    throw error;
  }
  return {
    url: server.url,
    adminToken: bootstrapToken,
    dataDir: data.path,
    output: () => server.output(),
    async api(method, path, options = {}) {
      const response = await fetch(`${server.url}/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.token ?? bootstrapToken}`,
          ...(options.body === undefined ? {} : { "content-type": "application/json" }),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async stop() {
      await server.stop();
      data.remove();
    },
  };
}
