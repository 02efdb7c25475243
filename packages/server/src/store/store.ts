import type { Kysely } from "kysely";
import { createAuditStore } from "./audit-store.js";
import { createDeploymentStore } from "./deployment-store.js";
import { createDirectoryStore } from "./directory-store.js";
import { createGrantStore } from "./grant-store.js";
import { migrate } from "./migrations.js";
import type { Database } from "./schema.js";
import { createSecretStore } from "./secret-store.js";
import { createSessionStore } from "./session-store.js";
import { createTokenStore } from "./token-store.js";

/** What differs between SQL dialects; everything else is shared Kysely code. */
export interface Dialect {
  transaction<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /** Whether `SELECT … FOR UPDATE` is available (and needed) to lock rows in a transaction. */
  lockRows: boolean;
}

function createTables(db: Kysely<Database>, dialect: Dialect) {
  return {
    directory: createDirectoryStore(db),
    secrets: createSecretStore(db, dialect),
    tokens: createTokenStore(db),
    grants: createGrantStore(db),
    deployments: createDeploymentStore(db),
    sessions: createSessionStore(db),
    audit: createAuditStore(db),
  };
}

export type StoreTables = ReturnType<typeof createTables>;

/** The store: every query Lockbox makes, grouped by table, and transactions over them. */
export interface Store extends StoreTables {
  /** Runs `fn` in one write transaction; everything it does commits together or not at all. */
  transaction<T>(fn: (tx: StoreTables) => Promise<T>): Promise<T>;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export function createStore(db: Kysely<Database>, dialect: Dialect): Store {
  return {
    ...createTables(db, dialect),
    transaction: (fn) => dialect.transaction((tx) => fn(createTables(tx, dialect))),
    migrate: () => migrate(db as Kysely<unknown>),
    close: () => db.destroy(),
  };
}
