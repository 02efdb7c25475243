import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";
import { InternalError } from "../shared/errors.js";

// One set of migrations for every dialect: only types both SQLite and PostgreSQL accept.
// Kysely's CamelCasePlugin maps the snake_case columns here to the camelCase of schema.ts.
const initial: Migration = {
  async up(db: Kysely<unknown>) {
    const binary = isPostgres(db) ? sql`bytea` : sql`blob`;
    await db.schema
      .createTable("workspaces")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull().unique())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("environments")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addUniqueConstraint("environments_workspace_name", ["workspace_id", "name"])
      .execute();
    await db.schema
      .createTable("secrets")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("last_used_at", "text")
      .addUniqueConstraint("secrets_environment_name", ["environment_id", "name"])
      .execute();
    await db.schema
      .createIndex("secrets_environment_created")
      .on("secrets")
      .columns(["environment_id", "created_at"])
      .execute();
    await db.schema
      .createTable("secret_versions")
      .addColumn("secret_id", "text", (c) => c.notNull().references("secrets.id").onDelete("cascade"))
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("keys", "text", (c) => c.notNull())
      .addColumn("added", "text", (c) => c.notNull())
      .addColumn("removed", "text", (c) => c.notNull())
      .addColumn("changed", "text", (c) => c.notNull())
      .addColumn("rollback_of", "integer")
      .addColumn("key_id", "text", (c) => c.notNull())
      .addColumn("wrapped_key", binary, (c) => c.notNull())
      .addColumn("ciphertext", binary, (c) => c.notNull())
      .addPrimaryKeyConstraint("secret_versions_pk", ["secret_id", "version"])
      .execute();
    await db.schema
      .createTable("tokens")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull().unique())
      .addColumn("can_create_workspaces", "integer", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("expires_at", "text")
      .addColumn("revoked_at", "text")
      .addColumn("last_used_at", "text")
      .execute();
    await db.schema
      .createTable("audit_entries")
      .addColumn("id", isPostgres(db) ? "bigserial" : "integer", (c) =>
        isPostgres(db) ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("workspace_id", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("token_id", "text")
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("environment", "text")
      .addColumn("secret", "text")
      .addColumn("version", "integer")
      .addColumn("source", "text")
      .addColumn("user_agent", "text")
      .execute();
    await db.schema
      .createIndex("audit_entries_workspace")
      .on("audit_entries")
      .columns(["workspace_id", "id"])
      .execute();
    await db.schema
      .createTable("master_keys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("check", binary, (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
  },
};

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter.constructor.name === "PostgresAdapter";
}

const containerGrants: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("grants")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("hash", "text", (c) => c.notNull().unique())
      .addColumn("request", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("token_id", "text")
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addColumn("redeemed_at", "text")
      .execute();
  },
};

const deployments: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("deployments")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("environment_id", "text", (c) =>
        c.notNull().references("environments.id").onDelete("cascade"),
      )
      .addColumn("app_name", "text", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("bundle", "text", (c) => c.notNull())
      .addColumn("functions", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addUniqueConstraint("deployments_app_version", ["environment_id", "app_name", "version"])
      .execute();
  },
};

const sessions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("sessions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("hash", "text", (c) => c.notNull().unique())
      .addColumn("token_id", "text", (c) => c.notNull().references("tokens.id"))
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("csrf", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addColumn("last_seen_at", "text", (c) => c.notNull())
      .execute();
  },
};

const auditChain: Migration = {
  async up(db: Kysely<unknown>) {
    const binary = isPostgres(db) ? sql`bytea` : sql`blob`;
    for (const column of ["seq", "prev_hash", "hash"]) {
      await db.schema
        .alterTable("audit_entries")
        .addColumn(column, column === "seq" ? "integer" : "text")
        .execute();
    }
    // One entry per place in a workspace's chain: a fork cannot be written, even by a bug.
    await db.schema
      .createIndex("audit_entries_chain")
      .on("audit_entries")
      .columns(["workspace_id", "seq"])
      .unique()
      .execute();
    await db.schema
      .createTable("audit_heads")
      .addColumn("workspace_id", "text", (c) => c.primaryKey())
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .addColumn("seal", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("store_keys")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("key_id", "text", (c) => c.notNull())
      .addColumn("wrapped_key", binary, (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
  },
};

const masterKeyStatus: Migration = {
  async up(db: Kysely<unknown>) {
    // current: wraps new data keys; previous: still wraps some, during a rotation; retired: none.
    await db.schema
      .alterTable("master_keys")
      .addColumn("status", "text", (c) => c.notNull().defaultTo("current"))
      .execute();
  },
};

const tokenEnvironment: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("tokens").addColumn("environment", "text").execute();
  },
};

const deploymentFiles: Migration = {
  async up(db: Kysely<unknown>) {
    // Plain files a deploy takes for its functions (not secrets): one row per distinct content.
    await db.schema
      .createTable("deployment_files")
      .addColumn("deployment_id", "text", (c) => c.notNull().references("deployments.id").onDelete("cascade"))
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("content", isPostgres(db) ? sql`bytea` : sql`blob`, (c) => c.notNull())
      .addPrimaryKeyConstraint("deployment_files_pk", ["deployment_id", "sha256"])
      .execute();
  },
};

const auditTarget: Migration = {
  async up(db: Kysely<unknown>) {
    // What a call named (`APP/FUNCTION`); older entries have none, and hash without it.
    await db.schema.alterTable("audit_entries").addColumn("target", "text").execute();
  },
};

const dropGrants: Migration = {
  async up(db: Kysely<unknown>) {
    // Containers read their secrets once at start, audited; no credential is minted for it.
    await db.schema.dropTable("grants").ifExists().execute();
  },
};

const identities: Migration = {
  async up(db: Kysely<unknown>) {
    // Workload identities: which platform tokens may be exchanged for a Lockbox token (issue 17).
    await db.schema
      .createTable("identities")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("issuer", "text", (c) => c.notNull())
      .addColumn("audience", "text", (c) => c.notNull())
      .addColumn("subject", "text", (c) => c.notNull())
      .addColumn("claims", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("environment", "text")
      .addColumn("ttl_seconds", "integer", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addUniqueConstraint("identities_workspace_name", ["workspace_id", "name"])
      .execute();
  },
};

const migrations: Record<string, Migration> = {
  "0001-initial": initial,
  "0002-container-grants": containerGrants,
  "0003-deployments": deployments,
  "0004-sessions": sessions,
  "0005-audit-chain": auditChain,
  "0006-master-key-status": masterKeyStatus,
  "0007-token-environment": tokenEnvironment,
  "0008-deployment-files": deploymentFiles,
  "0009-audit-target": auditTarget,
  "0010-drop-grants": dropGrants,
  "0011-identities": identities,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** The migrations of this version of Lockbox that the database at `db` lacks (none: up to date). */
export async function unappliedMigrations(db: Kysely<unknown>): Promise<string[]> {
  const known = await new Migrator({ db, provider }).getMigrations();
  return known.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}

/**
 * Brings the database to the latest schema; safe to call on every start. `disableTransactions`
 * is for a caller that already holds a transaction (and with it the write lock).
 */
export async function migrate(
  db: Kysely<unknown>,
  options: { disableTransactions?: boolean } = {},
): Promise<void> {
  const { error, results } = await new Migrator({ db, provider, ...options }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new InternalError(`Database migration ${failed} failed: ${(error as Error).message}`);
  }
}
