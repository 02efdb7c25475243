import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Lockbox, openLockbox } from "../lockbox.js";
import { errorFromCode, ResourceExhaustedError } from "../shared/errors.js";
import { type CallGate, startCallGate } from "../test-support/call-gate.js";
import { makeTempDir, removeTempDir } from "../test-support/temp-lockbox.js";
import { dropTestDatabase, testDatabaseUrl } from "../test-support/test-database.js";
import { callApi } from "../test-support/test-server.js";
import { buildApp } from "./app.js";

const adminToken = "lbx_test_function_capacity_admin_93ab";
const base = "/v1/environments/main/apps/capacity";
// Waits at the gate its argument names (the process backend has the host's network).
const bundle = `(globalThis[Symbol.for("lockbox.functions")] ??= []).push(async (url) => (await fetch(url)).text());`;

let dataDir: string;
let lockbox: Lockbox;
let server: Awaited<ReturnType<typeof buildApp>>;
let url: string;
let gate: CallGate;

const callPass = (name: string) =>
  callApi(url, "POST", `${base}/functions/pass/call`, {
    token: adminToken,
    body: { args: [gate.url(name)] },
  });

beforeAll(async () => {
  dataDir = makeTempDir();
  gate = await startCallGate();
  lockbox = await openLockbox(
    { dataDir, databaseUrl: await testDatabaseUrl(dataDir) },
    { execution: { backend: "process", maxContainers: 1, maxQueuedCalls: 2 } },
  );
  await lockbox.bootstrap({ token: adminToken });
  server = await buildApp({ ...lockbox, logger: pino({ level: "silent" }) });
  url = await server.listen({ host: "127.0.0.1", port: 0 });
  const deployed = await callApi(url, "POST", `${base}/deployments`, {
    token: adminToken,
    body: { bundle, functions: [{ name: "pass", index: 0, secrets: [] }] },
  });
  expect(deployed.status).toBe(201);
});

afterAll(async () => {
  await server?.close();
  await lockbox?.close();
  await gate?.close();
  if (dataDir) {
    await dropTestDatabase(dataDir);
    removeTempDir(dataDir);
  }
});

describe("a function call on a full server", () => {
  it("waits for the container, and past the queue answers 429 with Retry-After at once", async () => {
    const running = callPass("http-1");
    await gate.arrived("http-1");
    const waiting = callPass("http-2");
    await vi.waitFor(() => expect(lockbox.functions.stats()).toEqual({ containers: 1, queued: 1 }), {
      timeout: 5000,
      interval: 10,
    });
    // One container, and the workspace has its half of a queue of 2: refused while the first runs.
    const refused = await callPass("http-3");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.body.error).toMatchObject({
      code: "resource_exhausted",
      message:
        "The server runs 1 container at most, all in use, and too many calls wait for one: try again shortly",
    });
    expect(gate.seen("http-3")).toBe(false);
    // What the SDK's HTTP client rebuilds from that answer.
    const rebuilt = errorFromCode(refused.body.error.code, refused.body.error.message, 1);
    expect(rebuilt).toBeInstanceOf(ResourceExhaustedError);
    gate.open("http-1");
    gate.open("http-2");
    expect((await running).body).toMatchObject({ result: "http-1" });
    expect((await waiting).body).toMatchObject({ result: "http-2" });
  });
});
