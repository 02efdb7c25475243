import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { inject } from "vitest";
import { databaseFileName } from "../lockbox.js";
import { createDatabase, dropDatabase, postgresTemplateKey, postgresUrlKey } from "./postgres-server.js";

/**
 * Whether this run stores test data in PostgreSQL: the `postgres` Vitest project sets
 * LOCKBOX_TEST_DATABASE=postgres and starts one server for the run (postgres-global-setup.ts).
 */
export const usesPostgres = process.env.LOCKBOX_TEST_DATABASE === "postgres";

// Each data folder gets its own database; a second Lockbox on the folder shares it.
const databases = new Map<string, string>();

/** The database URL for a Lockbox on `dataDir`: undefined on SQLite, else a fresh, migrated database. */
export async function testDatabaseUrl(dataDir: string): Promise<string | undefined> {
  if (!usesPostgres) return undefined;
  const known = databases.get(dataDir);
  if (known) return known;
  const url = await createDatabase(inject(postgresUrlKey), { template: inject(postgresTemplateKey) });
  databases.set(dataDir, url);
  return url;
}

/** Drops the database of `dataDir`, if it has one. */
export async function dropTestDatabase(dataDir: string): Promise<void> {
  const url = databases.get(dataDir);
  if (!url) return;
  databases.delete(dataDir);
  await dropDatabase(inject(postgresUrlKey), url);
}

/**
 * Raw SQL on the database of the Lockbox on `dataDir`, whichever the dialect, behind Lockbox's
 * back (as someone with access to the database could); `destroy()` it when done.
 */
// biome-ignore lint/suspicious/noExplicitAny: tests write whatever SQL they need
export function openRawDatabase(dataDir: string): Kysely<any> {
  const url = databases.get(dataDir);
  const dialect = url
    ? new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) })
    : new SqliteDialect({ database: new SqliteDatabase(join(dataDir, databaseFileName)) });
  return new Kysely({ dialect });
}
