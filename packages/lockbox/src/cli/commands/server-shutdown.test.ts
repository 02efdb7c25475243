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

interface Stopping {
  inFlight: Promise<ApiAnswer>;
  /** A create sent once the server said it is stopping: its status, or "refused". */
  late: Promise<number | "refused">;
  exited: Promise<number | null>;
}

/**
 * Holds SQLite's write lock (the server's write waits for it, on timers) while `send` is in
 * flight, sends SIGTERM once the server logged the request, sends a late create, then lets go.
 */
async function stopWhileInFlight(server: CliServer, send: () => Promise<ApiAnswer>): Promise<Stopping> {
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
  it("finishes the request in flight, ends its kept-alive connection, serves no new one, exits 0", async () => {
    dataDir = makeTempDir("lockbox-shutdown-");
    const server = await start();
    // fetch keeps its connection open: it must not hold the server open until its idle timeout.
    const { inFlight, late, exited } = await stopWhileInFlight(server, () =>
      callApi(server.url, "POST", secrets, { token, body: createBody("in-flight") }),
    );
    const answer = await inFlight;
    expect(answer.status).toBe(201);
    expect(answer.headers.get("connection")).toBe("close");
    expect([503, "refused"]).toContain(await late);
    expect(await exited).toBe(0);

    const restarted = await start();
    const values = await callApi(restarted.url, "GET", `${secrets}/in-flight/values`, { token });
    expect(values.body.values).toEqual({ VALUE: "canary-in-flight" });
    expect((await callApi(restarted.url, "GET", `${secrets}/late`, { token })).status).toBe(404);
    expect(await restarted.stop()).toBe(0);
  });
});
