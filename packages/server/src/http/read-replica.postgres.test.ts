import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type PostgresServer, startPostgresServer } from "../test-support/postgres-server.js";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

// A primary and a real streaming replica of it, whose replay the tests pause to make it lag.
let primary: PostgresServer;
let replica: PostgresServer;
let server: TestServer;

async function queryOne<T>(url: string, text: string, values: unknown[] = []): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows[0] as T;
  } finally {
    await client.end();
  }
}

/**
 * Waits until the replica has replayed everything the primary has written so far: up to where
 * WAL was inserted, since with synchronous_commit off (as in tests) a commit may not be flushed yet.
 */
async function replicaCaughtUp(): Promise<void> {
  const { lsn } = await queryOne<{ lsn: string }>(primary.url, "select pg_current_wal_insert_lsn() as lsn");
  for (let attempt = 0; attempt < 1000; attempt++) {
    const { done } = await queryOne<{ done: boolean }>(
      replica.url,
      "select pg_last_wal_replay_lsn() >= $1::pg_lsn as done",
      [lsn],
    );
    if (done) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the replica did not catch up");
}

const setReplay = (state: "pause" | "resume") => queryOne(replica.url, `select pg_wal_replay_${state}()`);

beforeAll(async () => {
  primary = await startPostgresServer();
  replica = await startPostgresServer({ replicaOf: primary.url });
});
afterAll(() => {
  replica?.stop();
  primary?.stop();
});

beforeEach(async () => {
  const databaseUrl = await primary.createDatabase();
  const onReplica = new URL(databaseUrl);
  onReplica.port = new URL(replica.url).port;
  server = await startTestServer({ databaseUrl, databaseReplicaUrl: onReplica.toString() });
  await replicaCaughtUp();
});
afterEach(async () => {
  await server.dispose();
});

const secrets = "/v1/environments/main/secrets";
const listedNames = async () =>
  (await server.call("GET", secrets)).body.secrets.map((secret: { name: string }) => secret.name);
const historyVersions = async (name: string) =>
  (await server.call("GET", `${secrets}/${name}/history`)).body.versions.map(
    (version: { version: number }) => version.version,
  );

const create = (name: string) => server.call("POST", secrets, { body: { name, values: { K: "1" } } });

/** With the replica paused: a write of a moment ago is missing from listings, present in reads. */
async function expectListingsLagAndReadsDoNot(): Promise<void> {
  expect((await create("new")).status).toBe(201);
  expect((await server.call("PATCH", `${secrets}/old`, { body: { set: { K: "2" } } })).status).toBe(200);

  // The lagging replica serves the listings…
  expect(await listedNames()).toEqual(["old"]);
  expect(await historyVersions("old")).toEqual([1]);
  // …and the primary every read that must see the latest write.
  expect((await server.call("GET", `${secrets}/new`)).status).toBe(200);
  expect((await server.call("GET", `${secrets}/old/values`)).body.values).toEqual({ K: "2" });
  const resolved = await server.call("POST", "/v1/environments/main/resolve", {
    body: { secrets: [{ name: "old" }, { name: "new" }] },
  });
  expect(resolved.status).toBe(200);
  expect(JSON.stringify(resolved.body)).toContain('"version":2');
}

describe("lockbox server with --database-replica-url", () => {
  it("lists and shows history from the replica, and reads values from the primary", async () => {
    expect((await create("old")).status).toBe(201);
    await replicaCaughtUp();
    await setReplay("pause");
    try {
      await expectListingsLagAndReadsDoNot();
    } finally {
      await setReplay("resume");
    }
    await replicaCaughtUp();
    expect((await listedNames()).sort()).toEqual(["new", "old"]);
    expect(await historyVersions("old")).toEqual([2, 1]);
  });

  it("is not ready while the replica is unreachable", async () => {
    expect((await server.call("GET", "/readyz", { token: null })).status).toBe(200);
    replica.stop();
    expect(await server.call("GET", "/readyz", { token: null })).toMatchObject({
      status: 503,
      body: { status: "unavailable", reason: "the replica database is unreachable" },
    });
  });
});
