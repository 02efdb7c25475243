import { CamelCasePlugin, Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { migrate } from "./migrations.js";
import { notReusable, prepareStatements } from "./postgres-prepared.js";
import type { Database } from "./schema.js";
import { type ConnectionPoolUse, createStore, type Store } from "./store.js";

interface PostgresStoreOptions {
  /** A read replica of the database (`postgres://…`), for listings and history. */
  replicaUrl?: string | undefined;
  /** Connections this instance opens at most, to the primary and to the replica each (default 10). */
  maxConnections?: number | undefined;
  /** PostgreSQL cancels a statement running longer than this (default 10 s). */
  statementTimeoutMs?: number | undefined;
  /** Attempts of a transaction that failed on a serialization failure, deadlock or race (default 5). */
  maxAttempts?: number | undefined;
}

// Transient failures: the transaction is rolled back and tried again from the start.
// 23505 (unique violation) is there too: two instances that both found a name free and both
// inserted it; tried again, the loser sees the winner's row and answers as the service would.
// And a statement that could not run by the name it was prepared under, then sent unnamed.
const retriedCodes = new Set(["40001", "40P01", "23505", ...notReusable]);

function isRetried(error: unknown): boolean {
  return retriedCodes.has((error as { code?: string }).code ?? "");
}

// `pg` returns int8 (bigserial, count) as strings; every id and count here fits a JS number.
const int8 = pg.types.builtins.INT8;
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === int8 && format !== "binary"
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A pool of at most `maxConnections` to `url`, with camelCase rows. */
function connect(url: string, maxConnections: number, statementTimeoutMs: number) {
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    statement_timeout: statementTimeoutMs,
    connectionTimeoutMillis: statementTimeoutMs,
    types,
  });
  // A connection the server drops (a crash, a failover) must not crash the process: idle, the pool
  // replaces it; in use, its query fails and the pool discards it when it is released.
  pool.on("error", () => {});
  pool.on("connect", (client) => {
    client.on("error", () => {});
    prepareStatements(client);
  });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    plugins: [new CamelCasePlugin()],
  });
  return { db, pool };
}

const poolUse = (database: ConnectionPoolUse["database"], pool: pg.Pool): ConnectionPoolUse => ({
  database,
  busy: pool.totalCount - pool.idleCount,
  idle: pool.idleCount,
  max: pool.options.max,
  waiting: pool.waitingCount,
});

/** Opens a PostgreSQL database at `url` (`postgres://…`), and its read replica when given. */
export function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Store {
  const { replicaUrl, maxConnections = 10, statementTimeoutMs = 10_000, maxAttempts = 5 } = options;
  const primary = connect(url, maxConnections, statementTimeoutMs);
  const secondary = replicaUrl ? connect(replicaUrl, maxConnections, statementTimeoutMs) : undefined;
  const { db } = primary;
  const replica = secondary?.db ?? db;
  const connectionPools = () => [
    poolUse("primary", primary.pool),
    ...(secondary ? [poolUse("replica", secondary.pool)] : []),
  ];

  // Read committed plus `SELECT … FOR UPDATE` on the secret's head row (lockRows): a writer
  // waits for the one before it and then reads its committed result.
  async function transaction<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.transaction().setIsolationLevel("read committed").execute(fn);
      } catch (error) {
        if (!isRetried(error) || attempt >= maxAttempts) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }

  // Under an advisory lock held by this connection: instances starting at once migrate one by
  // one, and each later one finds the schema up to date.
  const migrateOnce = () =>
    db.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(hashtext('lockbox migrations'))`.execute(connection);
      try {
        await migrate(connection as Kysely<unknown>);
      } finally {
        await sql`select pg_advisory_unlock(hashtext('lockbox migrations'))`.execute(connection);
      }
    });

  return createStore(db, { transaction, lockRows: true, migrate: migrateOnce, connectionPools }, replica);
}
