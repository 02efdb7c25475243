import type { Kysely } from "kysely";
import type { Database, EnvironmentRow, WorkspaceRow } from "./schema.js";
import type { NamePage } from "./store.js";

/** Workspaces and their environments. */
export function createDirectoryStore(db: Kysely<Database>) {
  return {
    findWorkspace: (name: string) =>
      db.selectFrom("workspaces").selectAll().where("name", "=", name).executeTakeFirst(),
    getWorkspace: (id: string) =>
      db.selectFrom("workspaces").selectAll().where("id", "=", id).executeTakeFirst(),
    /** In name order; every workspace without `page` (the audit chain's start). */
    listWorkspaces: (page?: NamePage) => {
      let query = db.selectFrom("workspaces").selectAll().orderBy("name");
      if (page?.after !== undefined) query = query.where("name", ">", page.after);
      return (page ? query.limit(page.limit) : query).execute();
    },
    insertWorkspace: (row: WorkspaceRow) => db.insertInto("workspaces").values(row).execute(),
    findEnvironment: (workspaceId: string, name: string) =>
      db
        .selectFrom("environments")
        .selectAll()
        .where("workspaceId", "=", workspaceId)
        .where("name", "=", name)
        .executeTakeFirst(),
    listEnvironments: (workspaceId: string, page: NamePage) => {
      let query = db.selectFrom("environments").selectAll().where("workspaceId", "=", workspaceId);
      if (page.after !== undefined) query = query.where("name", ">", page.after);
      return query.orderBy("name").limit(page.limit).execute();
    },
    insertEnvironment: (row: EnvironmentRow) => db.insertInto("environments").values(row).execute(),
    deleteEnvironment: (id: string) => db.deleteFrom("environments").where("id", "=", id).execute(),
  };
}
