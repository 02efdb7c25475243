import { request } from "node:http";
import { join } from "node:path";
import { databaseFileName } from "@lockbox/server";
import { type ApiAnswer, callApi, makeTempDir, removeTempDir } from "@lockbox/server/test-support";
import SqliteDatabase from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { type CliServer, startCliServer } from "../../test-support/cli-server.js";

const token = "lbx_shutdown_test_bootstrap_token";
const secrets = "/v1/environments/main/secrets";

let dataDir = "";
let servers: CliServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.kill()));
  servers = [];
  removeTempDir(dataDir);
});

async function start(): Promise<CliServer> {
  const server = await startCliServer({
    LOCKBOX_HOME: dataDir,
    LOCKBOX_BOOTSTRAP_TOKEN: token,
    LOCKBOX_LOG_LEVEL: "info",
  });
  servers.push(server);
  return server;
}

const createBody = (name: string) => ({ name, values: { VALUE: `canary-${name}` } });

/** Creates secret `name` on a connection of its own, closed after the answer (`Connection: close`). */
function createOnce(server: CliServer, name: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(createBody(name));
    const sent = request(`${server.url}${secrets}`, {
      method: "POST",
      agent: false,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });
    sent.on("response", (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode));
    });
    sent.on("error", reject);
    sent.end(body);
  });
}

interface Stopping<T> {
  inFlight: Promise<T>;
  /** A create sent once the server said it is stopping: its status, or "refused". */
  late: Promise<number | "refused">;
  exited: Promise<number | null>;
}

/**
 * Holds SQLite's write lock (the server's write waits for it, on timers) while `send` is in
 * flight, sends SIGTERM once the server logged the request, sends a late create, then lets go.
 */
async function stopWhileInFlight<T>(server: CliServer, send: () => Promise<T>): Promise<Stopping<T>> {
  const database = new SqliteDatabase(join(dataDir, databaseFileName));
  try {
    database.exec("BEGIN IMMEDIATE");
    const inFlight = send();
    await server.waitForOutput(
      /"req":\{"method":"POST","url":"\/v1\/environments\/main\/secrets".*"incoming request"/,
    );
    const exited = server.stop();
    // The server prints this and starts closing without giving its event loop a turn in between,
    // so a request sent from now on reaches a server that no longer accepts.
    await server.waitForOutput(/^Received SIGTERM, stopping$/m);
    const late = callApi(server.url, "POST", secrets, { token, body: createBody("late") }).then(
      (answer) => answer.status,
      () => "refused" as const,
    );
    database.exec("ROLLBACK");
    return { inFlight, late, exited };
  } finally {
    database.close();
  }
}

describe("lockbox server on SIGTERM", () => {
  it("finishes the request in flight, serves no new one, exits 0 and keeps the write", async () => {
    dataDir = makeTempDir("lockbox-shutdown-");
    const server = await start();
    const { inFlight, late, exited } = await stopWhileInFlight(server, () => createOnce(server, "in-flight"));
    expect(await inFlight).toBe(201);
    expect([503, "refused"]).toContain(await late);
    expect(await exited).toBe(0);

    const restarted = await start();
    const values = await callApi(restarted.url, "GET", `${secrets}/in-flight/values`, { token });
    expect(values.body.values).toEqual({ VALUE: "canary-in-flight" });
    expect((await callApi(restarted.url, "GET", `${secrets}/late`, { token })).status).toBe(404);
    expect(await restarted.stop()).toBe(0);
  });

  // Known bug: the answer keeps its connection alive, and with a client that keeps it open (fetch,
  // and so the SDK) the server does not exit until the connection's idle timeout (Fastify's
  // keepAliveTimeout, 72 s). Drop `.fails` once packages/server/src/http/server.ts ends
  // connections whose request finishes while closing.
  it.fails("closes a kept-alive connection once its request in flight is answered", async () => {
    dataDir = makeTempDir("lockbox-shutdown-");
    const server = await start();
    const { inFlight, exited } = await stopWhileInFlight<ApiAnswer>(server, () =>
      callApi(server.url, "POST", secrets, { token, body: createBody("in-flight") }),
    );
    const answer = await inFlight;
    expect(answer.status).toBe(201);
    expect(answer.headers.get("connection")).toBe("close");
    expect(await exited).toBe(0);
  });
});
