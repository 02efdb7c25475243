import { inject } from "vitest";
import { createDatabase, dropDatabase, postgresTemplateKey, postgresUrlKey } from "./postgres-server.js";

/**
 * Whether this run stores test data in PostgreSQL: the `postgres` Vitest project sets
 * LOCKBOX_TEST_DATABASE=postgres and starts one server for the run (postgres-global-setup.ts).
 */
export const usesPostgres = process.env.LOCKBOX_TEST_DATABASE === "postgres";

/** Why a test that reads or changes the SQLite file itself does not run on PostgreSQL. */
export const sqliteOnly = "inspects the SQLite file directly";

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
