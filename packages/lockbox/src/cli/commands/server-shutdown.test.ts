import { join } from "node:path";
import { databaseFileName } from "@lockbox/server";
import {
  type ApiAnswer,
  type CallGate,
  callApi,
  makeTempDir,
  removeTempDir,
  startCallGate,
} from "@lockbox/server/test-support";
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

async function start(env: Record<string, string> = {}, args: string[] = []): Promise<CliServer> {
  const server = await startCliServer(
    { LOCKBOX_HOME: dataDir, LOCKBOX_BOOTSTRAP_TOKEN: token, LOCKBOX_LOG_LEVEL: "info", ...env },
    args,
  );
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
      /"req":\{"method":"POST","route":"\/v1\/environments\/:environment\/secrets".*"incoming request"/,
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

describe("lockbox server on SIGTERM, with function calls", () => {
  const app = "/v1/environments/main/apps/drain";
  // Waits at the gate its argument names (the process backend has the host's network).
  const bundle = `(globalThis[Symbol.for("lockbox.functions")] ??= []).push(async (url) => (await fetch(url)).text());`;
  let gate: CallGate | undefined;
  afterEach(async () => {
    await gate?.close();
  });

  it("lets the running and the queued call finish, refuses a new one with 503, then exits 0", async () => {
    dataDir = makeTempDir("lockbox-drain-");
    gate = await startCallGate();
    const server = await start({ LOCKBOX_CONTAINER: "process" }, ["--max-containers", "1"]);
    const deployed = await callApi(server.url, "POST", `${app}/deployments`, {
      token,
      body: { bundle, functions: [{ name: "pass", index: 0, secrets: [] }] },
    });
    expect(deployed.status).toBe(201);
    const callPass = (name: string) =>
      callApi(server.url, "POST", `${app}/functions/pass/call`, {
        token,
        body: { args: [(gate as CallGate).url(name)] },
      });
    const running = callPass("drain-1");
    await gate.arrived("drain-1");
    // One container: the second call waits for it, in flight once the server logged it.
    const queued = callPass("drain-2");
    await server.waitForOutput(/(\/functions\/:function\/call"[^\n]*"incoming request"[\s\S]*){2}/);
    const exited = server.stop();
    await server.waitForOutput(/^Received SIGTERM, stopping$/m);
    const late = await callPass("drain-late").catch(() => "refused" as const);
    if (late !== "refused") {
      expect(late.status).toBe(503);
      expect(late.body.error).toMatchObject({
        code: "unavailable",
        message: expect.stringContaining("shutting down"),
      });
    }
    gate.open("drain-1");
    gate.open("drain-2");
    expect(await running).toMatchObject({ status: 200, body: { result: "drain-1" } });
    expect(await queued).toMatchObject({ status: 200, body: { result: "drain-2" } });
    expect(await exited).toBe(0);
    expect(gate.seen("drain-late")).toBe(false);
  });
});
