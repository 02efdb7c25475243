import type { Kysely } from "kysely";
import type { Database, SealedVersion, SecretRow, SecretVersionRow } from "./schema.js";
import type { Dialect } from "./store.js";

export interface ListPage {
  limit: number;
  createdBefore?: string | undefined;
}

/** Named secrets and their immutable, encrypted versions. */
export function createSecretStore(db: Kysely<Database>, dialect: Pick<Dialect, "lockRows">) {
  return {
    /** The secret's head row; inside a transaction it is locked where the dialect needs that. */
    find(environmentId: string, name: string): Promise<SecretRow | undefined> {
      const query = db
        .selectFrom("secrets")
        .selectAll()
        .where("environmentId", "=", environmentId)
        .where("name", "=", name);
      return (dialect.lockRows ? query.forUpdate() : query).executeTakeFirst();
    },

    /** The head rows of `names` that exist, in one query; locked like `find`. */
    findMany(environmentId: string, names: readonly string[]): Promise<SecretRow[]> {
      if (names.length === 0) return Promise.resolve([]);
      const query = db
        .selectFrom("secrets")
        .selectAll()
        .where("environmentId", "=", environmentId)
        .where("name", "in", names);
      return (dialect.lockRows ? query.forUpdate() : query).execute();
    },

    /**
     * The heads of `names` that exist in the workspace's environment called `environmentName`,
     * each with its current version's sealed values: what a resolve reads, in one query.
     */
    async findCurrent(
      workspaceId: string,
      environmentName: string,
      names: readonly string[],
    ): Promise<{ head: SecretRow; sealed: SealedVersion }[]> {
      if (names.length === 0) return [];
      const query = db
        .selectFrom("environments")
        .innerJoin("secrets", "secrets.environmentId", "environments.id")
        .innerJoin("secretVersions", (join) =>
          join
            .onRef("secretVersions.secretId", "=", "secrets.id")
            .onRef("secretVersions.version", "=", "secrets.version"),
        )
        .selectAll("secrets")
        .select(["secretVersions.keyId", "secretVersions.wrappedKey", "secretVersions.ciphertext"])
        .where("environments.workspaceId", "=", workspaceId)
        .where("environments.name", "=", environmentName)
        .where("secrets.name", "in", names);
      const rows = await (dialect.lockRows ? query.forUpdate("secrets") : query).execute();
      return rows.map(({ keyId, wrappedKey, ciphertext, ...head }) => ({
        head,
        sealed: { version: head.version, keyId, wrappedKey, ciphertext },
      }));
    },

    /** Heads with the key names of their current version, newest first. */
    list(environmentId: string, page: ListPage) {
      let query = db
        .selectFrom("secrets")
        .innerJoin("secretVersions", (join) =>
          join
            .onRef("secretVersions.secretId", "=", "secrets.id")
            .onRef("secretVersions.version", "=", "secrets.version"),
        )
        .selectAll("secrets")
        .select("secretVersions.keys")
        .where("secrets.environmentId", "=", environmentId);
      if (page.createdBefore) query = query.where("secrets.createdAt", "<", page.createdBefore);
      return query
        .orderBy("secrets.createdAt", "desc")
        .orderBy("secrets.id", "desc")
        .limit(page.limit)
        .execute();
    },

    /** The newest creation time in the environment, or undefined when it has no secrets. */
    latestCreatedAt: async (environmentId: string) =>
      (
        await db
          .selectFrom("secrets")
          .select("createdAt")
          .where("environmentId", "=", environmentId)
          .orderBy("createdAt", "desc")
          .limit(1)
          .executeTakeFirst()
      )?.createdAt,

    insert: (row: SecretRow) => db.insertInto("secrets").values(row).execute(),

    setVersion: (id: string, version: number, updatedAt: string) =>
      db.updateTable("secrets").set({ version, updatedAt }).where("id", "=", id).execute(),

    insertVersion: (row: SecretVersionRow) => db.insertInto("secretVersions").values(row).execute(),

    getVersion: (secretId: string, version: number) =>
      db
        .selectFrom("secretVersions")
        .selectAll()
        .where("secretId", "=", secretId)
        .where("version", "=", version)
        .executeTakeFirst(),

    /** The versions named by (secret id, version) pairs that exist, in one query. */
    getVersions(wanted: readonly { secretId: string; version: number }[]): Promise<SecretVersionRow[]> {
      if (wanted.length === 0) return Promise.resolve([]);
      return db
        .selectFrom("secretVersions")
        .selectAll()
        .where((eb) =>
          eb.or(
            wanted.map(({ secretId, version }) =>
              eb.and([eb("secretId", "=", secretId), eb("version", "=", version)]),
            ),
          ),
        )
        .execute();
    },

    /** Every version's metadata, newest first; no ciphertext. */
    /** Newest first: at most `page.limit` versions, those before `page.beforeVersion`. */
    listVersions: (secretId: string, page: { limit: number; beforeVersion?: number | undefined }) => {
      let query = db
        .selectFrom("secretVersions")
        .select(["version", "createdAt", "createdBy", "keys", "added", "removed", "changed", "rollbackOf"])
        .where("secretId", "=", secretId);
      if (page.beforeVersion !== undefined) query = query.where("version", "<", page.beforeVersion);
      return query.orderBy("version", "desc").limit(page.limit).execute();
    },

    delete: (id: string) => db.deleteFrom("secrets").where("id", "=", id).execute(),

    deleteAllIn: (environmentId: string) =>
      db.deleteFrom("secrets").where("environmentId", "=", environmentId).execute(),

    touchLastUsed: (ids: readonly string[], at: string) =>
      ids.length === 0
        ? Promise.resolve()
        : db.updateTable("secrets").set({ lastUsedAt: at }).where("id", "in", ids).execute(),
  };
}
