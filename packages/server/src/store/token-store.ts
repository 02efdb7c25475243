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
    /** Oldest first: at most `page.limit`, those after the token `page.after`, of `page.environment` when given. */
    list: (
      workspaceId: string,
      page: {
        limit: number;
        after?: Pick<TokenRow, "createdAt" | "id"> | undefined;
        environment?: string | undefined;
      },
    ) => {
      let query = db.selectFrom("tokens").selectAll().where("workspaceId", "=", workspaceId);
      if (page.environment !== undefined) query = query.where("environment", "=", page.environment);
      const { after } = page;
      if (after)
        query = query.where((eb) =>
          eb.or([
            eb("createdAt", ">", after.createdAt),
            eb.and([eb("createdAt", "=", after.createdAt), eb("id", ">", after.id)]),
          ]),
        );
      return query.orderBy("createdAt").orderBy("id").limit(page.limit).execute();
    },
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
    /** Revokes the live tokens named `name` that a token of that name made: an identity's exchanged ones. */
    revokeMadeBy: (workspaceId: string, name: string, at: string) =>
      db
        .updateTable("tokens")
        .set({ revokedAt: at })
        .where("workspaceId", "=", workspaceId)
        .where("name", "=", name)
        .where("createdBy", "=", name)
        .where("revokedAt", "is", null)
        .execute(),
    touch: (id: string, at: string) =>
      db.updateTable("tokens").set({ lastUsedAt: at }).where("id", "=", id).execute(),
  };
}
