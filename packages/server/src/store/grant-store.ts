import type { Kysely } from "kysely";
import type { Database, GrantRow } from "./schema.js";

/** Container grants, stored by hash. */
export function createGrantStore(db: Kysely<Database>) {
  return {
    insert: (row: GrantRow) => db.insertInto("grants").values(row).execute(),
    findByHash: (hash: string) =>
      db.selectFrom("grants").selectAll().where("hash", "=", hash).executeTakeFirst(),
    /** Marks the grant used; false when it already was, so each grant is redeemed at most once. */
    redeem: async (id: string, at: string) => {
      const result = await db
        .updateTable("grants")
        .set({ redeemedAt: at })
        .where("id", "=", id)
        .where("redeemedAt", "is", null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    /** Grants expire within minutes; rows past their expiry are only history. */
    deleteExpired: (before: string) => db.deleteFrom("grants").where("expiresAt", "<", before).execute(),
  };
}
