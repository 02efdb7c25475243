import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dropTestDatabase, openRawDatabase, usesPostgres } from "../test-support/test-database.js";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.dispose();
});

const probe = (path: string) => server.call("GET", path, { token: null });

describe("/healthz and /readyz", () => {
  it("answer without a token: alive, and ready on a reachable, migrated database", async () => {
    expect(await probe("/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await probe("/readyz")).toMatchObject({ status: 200, body: { status: "ready" } });
  });

  it("is not ready while the database lacks a migration, and still alive", async () => {
    const db = openRawDatabase(server.dataDir);
    let latest: string;
    try {
      const { rows } = await sql<{ name: string }>`select max(name) as name from kysely_migration`.execute(
        db,
      );
      latest = rows[0]?.name ?? "";
      await sql`delete from kysely_migration where name = ${latest}`.execute(db);
    } finally {
      await db.destroy();
    }
    expect(latest).toMatch(/^\d{4}-/);
    expect(await probe("/readyz")).toMatchObject({
      status: 503,
      body: { status: "unavailable", reason: `the database lacks migrations ${latest}` },
    });
    expect((await probe("/healthz")).status).toBe(200);
  });

  it.runIf(usesPostgres)("is not ready once PostgreSQL cannot be reached, and still alive", async () => {
    await dropTestDatabase(server.dataDir);
    expect(await probe("/readyz")).toMatchObject({
      status: 503,
      body: { status: "unavailable", reason: "the primary database is unreachable" },
    });
    expect((await probe("/healthz")).status).toBe(200);
  });
});
