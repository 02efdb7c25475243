import type { Insertable, Kysely } from "kysely";
import type { WrappedKey } from "../crypto/envelope.js";
import type { Database, MasterKeyStatus, MasterKeyTable, StoreKeyRow } from "./schema.js";
import type { Dialect } from "./store.js";

/** The master keys the store has known, the keys it keeps for itself, and re-wrapping data keys. */
export function createKeyStore(db: Kysely<Database>, dialect: Pick<Dialect, "lockRows">) {
  return {
    /** Every master key the store has known; in a transaction, locked against writers of data keys. */
    listMasterKeys() {
      const query = db.selectFrom("masterKeys").selectAll().orderBy("createdAt");
      return (dialect.lockRows ? query.forUpdate() : query).execute();
    },
    insertMasterKey: (row: Insertable<MasterKeyTable>) => db.insertInto("masterKeys").values(row).execute(),
    setMasterKeyStatus: (id: string, status: MasterKeyStatus) =>
      db.updateTable("masterKeys").set({ status }).where("id", "=", id).execute(),

    /**
     * The id of the master key new data keys are wrapped under. Inside a transaction it is held
     * (FOR SHARE) until commit, so that a rotation switching keys waits for writes under the old one.
     */
    async currentMasterKeyId(): Promise<string> {
      const query = db.selectFrom("masterKeys").select("id").where("status", "=", "current");
      const row = await (dialect.lockRows ? query.forShare() : query).executeTakeFirstOrThrow();
      return row.id;
    },

    findStoreKey: (name: string) =>
      db.selectFrom("storeKeys").selectAll().where("name", "=", name).executeTakeFirst(),
    insertStoreKey: (row: StoreKeyRow) => db.insertInto("storeKeys").values(row).execute(),
    /** Inserts `row` unless a key of its name exists (another instance made it first). */
    insertStoreKeyIfMissing: (row: StoreKeyRow) =>
      db
        .insertInto("storeKeys")
        .values(row)
        .onConflict((conflict) => conflict.column("name").doNothing())
        .execute(),
    storeKeysNotUnder: (keyId: string) =>
      db.selectFrom("storeKeys").selectAll().where("keyId", "!=", keyId).execute(),
    rewrapStoreKey: (name: string, wrapped: WrappedKey) =>
      db.updateTable("storeKeys").set(wrapped).where("name", "=", name).execute(),

    /** Up to `limit` versions whose data key is wrapped under another master key than `keyId`. */
    versionsNotUnder(keyId: string, limit: number) {
      const query = db
        .selectFrom("secretVersions")
        .innerJoin("secrets", "secrets.id", "secretVersions.secretId")
        .select([
          "secretVersions.secretId",
          "secretVersions.version",
          "secretVersions.keyId",
          "secretVersions.wrappedKey",
          "secrets.workspaceId",
          "secrets.environmentId",
          "secrets.name",
        ])
        .where("secretVersions.keyId", "!=", keyId)
        .limit(limit);
      return (dialect.lockRows ? query.forUpdate("secretVersions") : query).execute();
    },
    rewrapVersion: (secretId: string, version: number, wrapped: WrappedKey) =>
      db
        .updateTable("secretVersions")
        .set(wrapped)
        .where("secretId", "=", secretId)
        .where("version", "=", version)
        .execute(),
  };
}
