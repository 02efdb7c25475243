import type { Kysely } from "kysely";
import type { Database, IdentityRow } from "./schema.js";
import type { NamePage } from "./store.js";

/** Workload identities, by workspace and name. */
export function createIdentityStore(db: Kysely<Database>) {
  return {
    find: (workspaceId: string, name: string) =>
      db
        .selectFrom("identities")
        .selectAll()
        .where("workspaceId", "=", workspaceId)
        .where("name", "=", name)
        .executeTakeFirst(),
    /** In name order: at most `page.limit`, those after the name `page.after`. */
    list: (workspaceId: string, page: NamePage) => {
      let query = db.selectFrom("identities").selectAll().where("workspaceId", "=", workspaceId);
      if (page.after !== undefined) query = query.where("name", ">", page.after);
      return query.orderBy("name").limit(page.limit).execute();
    },
    insert: (row: IdentityRow) => db.insertInto("identities").values(row).execute(),
    delete: (id: string) => db.deleteFrom("identities").where("id", "=", id).execute(),
  };
}
