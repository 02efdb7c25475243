import { type Kysely, sql } from "kysely";
import type { AuditChain } from "../crypto/audit-chain.js";
import { createAuditStore } from "./audit-store.js";
import { createDeploymentStore } from "./deployment-store.js";
import { createDirectoryStore } from "./directory-store.js";
import { createIdentityStore } from "./identity-store.js";
import { createKeyStore } from "./key-store.js";
import { unappliedMigrations } from "./migrations.js";
import { createReadCache, type ReadCache } from "./read-cache.js";
import type { Database } from "./schema.js";
import { createSecretStore } from "./secret-store.js";
import { createSessionStore } from "./session-store.js";
import { createTokenStore } from "./token-store.js";

/** A page of a list in name order: at most `limit` items, those after the name `after`. */
export interface NamePage {
  limit: number;
  after?: string | undefined;
}

/** What differs between SQL dialects; everything else is shared Kysely code. */
export interface Dialect {
  transaction<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /** Whether `SELECT … FOR UPDATE` is available (and needed) to lock rows in a transaction. */
  lockRows: boolean;
  /** Brings the database to the latest schema, safely when several processes start at once. */
  migrate(): Promise<void>;
  /**
   * A mark that changes whenever a write by this process or a commit by any other may have
   * changed the database; hot reads are cached while it stays the same. Absent: no caching.
   */
  changeMark?: (() => string) | undefined;
  /** The use of its connection pools, when it has any. */
  connectionPools?: (() => ConnectionPoolUse[]) | undefined;
}

/** How much of a connection pool is used (PostgreSQL's; SQLite has one connection, no pool). */
export interface ConnectionPoolUse {
  database: "primary" | "replica";
  /** Open connections running a query or transaction. */
  busy: number;
  idle: number;
  max: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

function createTables(
  db: Kysely<Database>,
  dialect: Dialect,
  chain: AuditChain | undefined,
  inTransaction = false,
) {
  // Row locks hold only until commit: outside a transaction they would only make reads wait.
  const locking = { lockRows: dialect.lockRows && inTransaction };
  return {
    directory: createDirectoryStore(db),
    keys: createKeyStore(db, locking),
    secrets: createSecretStore(db, locking),
    tokens: createTokenStore(db),
    deployments: createDeploymentStore(db),
    sessions: createSessionStore(db),
    identities: createIdentityStore(db),
    audit: createAuditStore(db, locking, chain),
  };
}

export type StoreTables = ReturnType<typeof createTables>;

/** `tables` with the reads every resolve makes (its token, its secrets) served from `cache`. */
function withCachedReads(tables: StoreTables, cache: ReadCache): StoreTables {
  const { tokens, secrets } = tables;
  return {
    ...tables,
    tokens: {
      ...tokens,
      findByHash: (hash) => cache.get(`token ${hash}`, () => tokens.findByHash(hash)),
    },
    secrets: {
      ...secrets,
      findCurrent: (workspaceId, environmentName, names) =>
        cache.get(JSON.stringify(["current", workspaceId, environmentName, names]), () =>
          secrets.findCurrent(workspaceId, environmentName, names),
        ),
    },
  };
}

type Readiness = { ready: true } | { ready: false; reason: string };

/** The store: every query Lockbox makes, grouped by table, and transactions over them. */
export interface Store extends StoreTables {
  /**
   * The same queries on the read replica when there is one (else on the primary): it may lag
   * behind, so only listings read from it, never a read that must see the latest write.
   */
  replica: StoreTables;
  /** Runs `fn` in one write transaction; everything it does commits together or not at all. */
  transaction<T>(fn: (tx: StoreTables) => Promise<T>): Promise<T>;
  migrate(): Promise<void>;
  /** The same store, with the audit log written through `chain` (without one, it cannot be written). */
  withAuditChain(chain: AuditChain): Store;
  /** Whether every database is reachable and the primary migrated to this version's schema. */
  readiness(): Promise<Readiness>;
  /** The use of each connection pool, for metrics: none on SQLite. */
  connectionPools(): ConnectionPoolUse[];
  close(): Promise<void>;
}

async function reachable(db: Kysely<Database>, name: string): Promise<Readiness> {
  try {
    await sql`select 1`.execute(db);
    return { ready: true };
  } catch {
    // The driver's message can name hosts and users: the reason stays generic.
    return { ready: false, reason: `the ${name} database is unreachable` };
  }
}

async function readiness(primary: Kysely<Database>, replica: Kysely<Database>): Promise<Readiness> {
  const databases = replica === primary ? { primary } : { primary, replica };
  for (const [name, db] of Object.entries(databases)) {
    const answer = await reachable(db, name);
    if (!answer.ready) return answer;
  }
  const missing = await unappliedMigrations(primary as Kysely<unknown>);
  return missing.length === 0
    ? { ready: true }
    : { ready: false, reason: `the database lacks migrations ${missing.join(", ")}` };
}

/** A store over `db`, whose listings read from `replica` when given. */
export function createStore(db: Kysely<Database>, dialect: Dialect, replica = db, chain?: AuditChain): Store {
  const tables = createTables(db, dialect, chain);
  return {
    ...(dialect.changeMark ? withCachedReads(tables, createReadCache(dialect.changeMark)) : tables),
    replica: createTables(replica, dialect, chain),
    transaction: (fn) => dialect.transaction((tx) => fn(createTables(tx, dialect, chain, true))),
    withAuditChain: (auditChain) => createStore(db, dialect, replica, auditChain),
    migrate: dialect.migrate,
    readiness: () => readiness(db, replica),
    connectionPools: () => dialect.connectionPools?.() ?? [],
    async close() {
      await db.destroy();
      if (replica !== db) await replica.destroy();
    },
  };
}
