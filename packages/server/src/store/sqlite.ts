import SqliteDatabase from "better-sqlite3";
import { CamelCasePlugin, Kysely, SqliteDialect, sql } from "kysely";
import { migrate } from "./migrations.js";
import type { Database } from "./schema.js";
import { createStore, type Store } from "./store.js";

const busyTimeoutMs = 10_000;

/**
 * BEGIN IMMEDIATE, waiting for another connection's write lock with timers: better-sqlite3 is
 * synchronous, so SQLite's own busy wait would freeze the event loop, and with it a connection of
 * this same process that holds the lock and needs the loop to commit.
 */
async function beginImmediate(
  database: SqliteDatabase.Database,
  connection: Kysely<Database>,
): Promise<void> {
  const deadline = Date.now() + busyTimeoutMs;
  for (let delayMs = 1; ; delayMs = Math.min(delayMs * 2, 20)) {
    database.pragma("busy_timeout = 0");
    try {
      await sql`begin immediate`.execute(connection);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY" || Date.now() >= deadline) throw error;
    } finally {
      database.pragma(`busy_timeout = ${busyTimeoutMs}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

/** Opens (and creates) the SQLite database at `path`: WAL, full fsync on commit, foreign keys on. */
export function openSqliteStore(path: string): Store {
  const database = new SqliteDatabase(path);
  database.pragma("journal_mode = WAL");
  // FULL: an acknowledged write survives a crash of the machine, not only of the process.
  database.pragma("synchronous = FULL");
  database.pragma(`busy_timeout = ${busyTimeoutMs}`);
  database.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database }),
    plugins: [new CamelCasePlugin()],
  });
  // SQLite has one connection here; BEGIN IMMEDIATE takes the write lock up front so that
  // another writer of the same file makes it wait (up to busyTimeoutMs) instead of failing mid-way.
  async function transaction<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return db.connection().execute(async (connection) => {
      await beginImmediate(database, connection);
      try {
        const result = await fn(connection);
        await sql`commit`.execute(connection);
        return result;
      } catch (error) {
        await sql`rollback`.execute(connection);
        throw error;
      }
    });
  }
  const store = createStore(db, {
    transaction,
    lockRows: false,
  });
  return {
    ...store,
    // Under the write lock, so that two processes opening a new data folder do not both migrate it.
    migrate: () =>
      transaction((connection) => migrate(connection as Kysely<unknown>, { disableTransactions: true })),
  };
}
