import SqliteDatabase from "better-sqlite3";
import { CamelCasePlugin, Kysely, SqliteDialect, sql } from "kysely";
import type { Database } from "./schema.js";
import { createStore, type Store } from "./store.js";

/** Opens (and creates) the SQLite database at `path`: WAL, full fsync on commit, foreign keys on. */
export function openSqliteStore(path: string): Store {
  const database = new SqliteDatabase(path);
  database.pragma("journal_mode = WAL");
  // FULL: an acknowledged write survives a crash of the machine, not only of the process.
  database.pragma("synchronous = FULL");
  database.pragma("busy_timeout = 10000");
  database.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database }),
    plugins: [new CamelCasePlugin()],
  });
  return createStore(db, {
    // SQLite has one connection here; BEGIN IMMEDIATE takes the write lock up front so that
    // another process writing the same file waits (busy_timeout) instead of failing mid-way.
    async transaction(fn) {
      return db.connection().execute(async (connection) => {
        await sql`begin immediate`.execute(connection);
        try {
          const result = await fn(connection);
          await sql`commit`.execute(connection);
          return result;
        } catch (error) {
          await sql`rollback`.execute(connection);
          throw error;
        }
      });
    },
    isUniqueViolation: (error) => (error as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE",
    lockRows: false,
  });
}
