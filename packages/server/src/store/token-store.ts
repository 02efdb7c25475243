import type { Kysely } from "kysely";
import type { Database, TokenRow } from "./schema.js";

/** API tokens, stored by hash. */
export function createTokenStore(db: Kysely<Database>) {
  return {
    findByHash: (hash: string) =>
      db.selectFrom("tokens").selectAll().where("hash", "=", hash).executeTakeFirst(),
    findById: (id: string) => db.selectFrom("tokens").selectAll().where("id", "=", id).executeTakeFirst(),
    get: (workspaceId: string, id: string) =>
      db
        .selectFrom("tokens")
        .selectAll()
        .where("workspaceId", "=", workspaceId)
        .where("id", "=", id)
        .executeTakeFirst(),
    list: (workspaceId: string) =>
      db
        .selectFrom("tokens")
        .selectAll()
        .where("workspaceId", "=", workspaceId)
        .orderBy("createdAt")
        .execute(),
    /** Whether a bootstrap token exists that still works (not revoked, not expired at `now`). */
    hasUsableWorkspaceCreator: async (now: string) =>
      (await db
        .selectFrom("tokens")
        .select("id")
        .where("canCreateWorkspaces", "=", 1)
        .where("revokedAt", "is", null)
        .where((eb) => eb.or([eb("expiresAt", "is", null), eb("expiresAt", ">", now)]))
        .limit(1)
        .executeTakeFirst()) !== undefined,
    insert: (row: TokenRow) => db.insertInto("tokens").values(row).execute(),
    revoke: (id: string, at: string) =>
      db.updateTable("tokens").set({ revokedAt: at }).where("id", "=", id).execute(),
    touch: (id: string, at: string) =>
      db.updateTable("tokens").set({ lastUsedAt: at }).where("id", "=", id).execute(),
  };
}
