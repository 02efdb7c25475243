import { spawnSync } from "node:child_process";
import {
  callApi,
  makeTempDir,
  type PostgresServer,
  postgresProgram,
  removeTempDir,
  startPostgresServer,
} from "@lockbox/server/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { type CliServer, startCliServer } from "../../test-support/cli-server.js";
import {
  acknowledged,
  apiSecretReader,
  expectAcknowledgedWrites,
  expectNoTornSecrets,
  keyPair,
  sharedSecret,
  sharedSecretValues,
  startWriteLoad,
  until,
  type WriteLoad,
} from "../../test-support/write-load.js";

const token = "lbx_postgres_crash_test_bootstrap_token";
const secrets = "/v1/environments/main/secrets";
// PostgreSQL started twice, a load at fsync speed and a few hundred reads: more than the default.
const timeoutMs = 120_000;

let postgres: PostgresServer | undefined;
let servers: CliServer[] = [];
let home = "";

afterEach(async () => {
  await Promise.all(servers.map((server) => server.kill()));
  servers = [];
  postgres?.stop();
  removeTempDir(home);
});

async function startLockbox(databaseUrl: string): Promise<CliServer> {
  const server = await startCliServer({ LOCKBOX_HOME: home, LOCKBOX_BOOTSTRAP_TOKEN: token }, [
    "--database-url",
    databaseUrl,
  ]);
  servers.push(server);
  return server;
}

/** pg_controldata's "Database cluster state": "in production" until a clean shutdown. */
function clusterState(dataDir: string): string {
  const output = spawnSync(postgresProgram("pg_controldata"), ["-D", dataDir], { encoding: "utf8" }).stdout;
  return /^Database cluster state:\s+(.+)$/m.exec(output)?.[1] ?? output;
}

/**
 * A durable PostgreSQL and a `lockbox server` on it under 8 writer lanes; PostgreSQL is SIGKILLed
 * once `minimum` creates and updates each were acknowledged, and the load stopped.
 */
async function crashPostgresMidLoad(minimum: number) {
  postgres = await startPostgresServer({ durable: true });
  const databaseUrl = await postgres.createDatabase();
  home = makeTempDir("lockbox-pg-crash-");
  const server = await startLockbox(databaseUrl);
  expect(
    await acknowledged(server.url, token, "POST", secrets, {
      name: sharedSecret,
      values: sharedSecretValues,
    }),
  ).toBe(true);

  const load: WriteLoad = startWriteLoad({ token, lanes: 8, urlFor: () => server.url });
  const count = (kind: string) => load.acks.filter((ack) => ack.kind === kind).length;
  await until(() => count("create") >= minimum && count("update") >= minimum);
  await postgres.crash();
  load.mark();
  // The writes in flight end, with an error, instead of hanging; none sent after the crash succeeds.
  await load.stop();
  expect(load.acks.filter((ack) => ack.afterMark)).toEqual([]);
  // Not shut down: the next start recovers from WAL.
  expect(clusterState(postgres.dataDir)).toBe("in production");
  return { postgres, databaseUrl, server, load, creates: count("create") };
}

/** Resolves once `GET path` answers `status`, asking at most 200 times, 50 ms apart. */
async function untilStatus(url: string, path: string, status: number): Promise<void> {
  let last = 0;
  for (let attempt = 0; attempt < 200; attempt++) {
    last = (await callApi(url, "GET", path)).status;
    if (last === status) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`GET ${path} still answers ${last}, not ${status}`);
}

describe("lockbox server when PostgreSQL crashes mid-load", () => {
  it(
    "loses no acknowledged write and tears no secret; the audit chain and pg_amcheck find nothing wrong",
    async () => {
      const { postgres, databaseUrl, server, load, creates } = await crashPostgresMidLoad(60);
      // Read through a lockbox started afresh, which can only see what PostgreSQL recovered.
      await server.kill();
      postgres.start();
      const { url } = await startLockbox(databaseUrl);

      const reader = apiSecretReader(url, token);
      await expectAcknowledgedWrites(load.acks, (name) => reader.reveal(name));
      const checked = await expectNoTornSecrets(reader);
      expect(checked.secrets).toBeGreaterThanOrEqual(creates + 1);
      expect(checked.versions).toBeGreaterThanOrEqual(load.acks.length + 1);

      const audit = await callApi(url, "GET", "/v1/audit/verify", { token });
      expect(audit.status).toBe(200);
      expect(audit.body.problems).toEqual([]);
      expect(audit.body.entries).toBeGreaterThan(load.acks.length);

      const amcheck = spawnSync(
        postgresProgram("pg_amcheck"),
        ["--install-missing", "--heapallindexed", "--parent-check", "--rootdescend", databaseUrl],
        { encoding: "utf8" },
      );
      expect({ status: amcheck.status, output: amcheck.stdout + amcheck.stderr }).toEqual({
        status: 0,
        output: "",
      });
    },
    timeoutMs,
  );

  // A pg client in use when PostgreSQL dies emits "error": without a listener the process would exit.
  it(
    "keeps running: fails requests and is not ready while PostgreSQL is down, then serves again in the same process",
    async () => {
      const { postgres, server, load } = await crashPostgresMidLoad(20);
      const { url } = server;

      await untilStatus(url, "/readyz", 503);
      expect((await callApi(url, "GET", "/healthz")).status).toBe(200);
      const write = await callApi(url, "PATCH", `${secrets}/${sharedSecret}`, {
        token,
        body: { set: keyPair("down", "canary-down") },
      });
      expect(write.status).toBeGreaterThanOrEqual(500);
      expect(write.body.error.requestId).toEqual(expect.any(String));
      const read = await callApi(url, "GET", `${secrets}/${sharedSecret}/values`, { token });
      expect(read.status).toBeGreaterThanOrEqual(500);

      postgres.start();
      // The same process, its connection pool recovered.
      await untilStatus(url, "/readyz", 200);
      const after = keyPair("after", "canary-after");
      expect(await acknowledged(url, token, "PATCH", `${secrets}/${sharedSecret}`, { set: after })).toBe(
        true,
      );
      expect(await acknowledged(url, token, "POST", secrets, { name: "after", values: after })).toBe(true);
      const reader = apiSecretReader(url, token);
      expect(await reader.reveal("after")).toEqual(after);
      expect(await reader.reveal(sharedSecret)).toMatchObject(after);
      await expectAcknowledgedWrites(load.acks, (name) => reader.reveal(name));
    },
    timeoutMs,
  );
});
