import { chmodSync, existsSync } from "node:fs";
import SqliteDatabase from "better-sqlite3";
import {
  CamelCasePlugin,
  Kysely,
  type SqliteDatabase as SqliteDialectDatabase,
  type SqliteStatement as SqliteDialectStatement,
  sql,
} from "kysely";
import { migrate } from "./migrations.js";
import type { Database } from "./schema.js";
import { BusyRetrySqliteDialect } from "./sqlite-busy.js";
import { trackChanges } from "./sqlite-changes.js";
import { createStore, type Store } from "./store.js";
import { createWalSync } from "./wal-sync.js";

// Kysely prepares every statement anew; the same few dozen statements run all the time.
const cachedStatementsMax = 500;

/**
 * `database`, with its prepared statements kept and used again (the oldest dropped past the
 * limit), and `onWrite` called before every statement that may write.
 */
function reusingStatements(
  database: SqliteDatabase.Database,
  hooks: { onWrite: () => void; onClose: () => void },
): SqliteDialectDatabase {
  const statements = new Map<string, SqliteDialectStatement>();
  const noticingWrites = (statement: SqliteDatabase.Statement): SqliteDialectStatement => ({
    reader: statement.reader,
    all: (parameters) => {
      hooks.onWrite();
      return statement.all(parameters);
    },
    run: (parameters) => {
      hooks.onWrite();
      return statement.run(parameters);
    },
    iterate: (parameters) => {
      hooks.onWrite();
      return statement.iterate(parameters);
    },
  });
  return {
    close: () => {
      database.close();
      hooks.onClose();
    },
    prepare(sql) {
      let statement = statements.get(sql);
      if (!statement) {
        const prepared = database.prepare(sql);
        statement = prepared.readonly ? prepared : noticingWrites(prepared);
        if (statements.size >= cachedStatementsMax) statements.delete(statements.keys().next().value ?? "");
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/**
 * Opens (and creates, mode 0600) the SQLite database at `path`: WAL, each transaction flushed to
 * disk before it returns (off the event loop, see wal-sync.ts), foreign keys on.
 */
export function openSqliteStore(path: string): Store {
  const created = !existsSync(path);
  const database = new SqliteDatabase(path);
  // Names, keys and the audit log are in clear: the owner's alone, whatever the umask. SQLite
  // gives the -wal and -shm files the database file's mode.
  if (created) chmodSync(path, 0o600);
  database.pragma("journal_mode = WAL");
  // NORMAL, and the -wal file flushed after each transaction: an acknowledged write survives a
  // crash of the machine, not only of the process. Single statements (the "last used" times)
  // are flushed with the next transaction.
  database.pragma("synchronous = NORMAL");
  database.pragma("busy_timeout = 0"); // the dialect waits for a busy lock, without blocking
  database.pragma("foreign_keys = ON");
  const wal = createWalSync(path);
  const changes = trackChanges(database);
  const hooks = { onWrite: changes.noteWrite, onClose: wal.close };
  const db = new Kysely<Database>({
    dialect: new BusyRetrySqliteDialect({ database: reusingStatements(database, hooks) }),
    plugins: [new CamelCasePlugin()],
  });
  // SQLite has one connection here; BEGIN IMMEDIATE takes the write lock up front, so that
  // another writer of the same file makes it wait instead of failing mid-way.
  async function transaction<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    const result = await db.connection().execute(async (connection) => {
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
    // The connection is free for other queries while the disk works.
    await wal.sync();
    return result;
  }
  return createStore(db, {
    transaction,
    lockRows: false,
    changeMark: changes.mark,
    // Under the write lock, so that two processes opening a new data folder do not both migrate it.
    migrate: () =>
      transaction((connection) => migrate(connection as Kysely<unknown>, { disableTransactions: true })),
  });
}
