import type { Kysely } from "kysely";
import type { Database, EnvironmentRow, WorkspaceRow } from "./schema.js";

/** Workspaces and their environments. */
export function createDirectoryStore(db: Kysely<Database>) {
  return {
    findWorkspace: (name: string) =>
      db.selectFrom("workspaces").selectAll().where("name", "=", name).executeTakeFirst(),
    getWorkspace: (id: string) =>
      db.selectFrom("workspaces").selectAll().where("id", "=", id).executeTakeFirst(),
    listWorkspaces: () => db.selectFrom("workspaces").selectAll().orderBy("createdAt").execute(),
    insertWorkspace: (row: WorkspaceRow) => db.insertInto("workspaces").values(row).execute(),
    findEnvironment: (workspaceId: string, name: string) =>
      db
        .selectFrom("environments")
        .selectAll()
        .where("workspaceId", "=", workspaceId)
        .where("name", "=", name)
        .executeTakeFirst(),
    listEnvironments: (workspaceId: string) =>
      db
        .selectFrom("environments")
        .selectAll()
        .where("workspaceId", "=", workspaceId)
        .orderBy("name")
        .execute(),
    insertEnvironment: (row: EnvironmentRow) => db.insertInto("environments").values(row).execute(),
    deleteEnvironment: (id: string) => db.deleteFrom("environments").where("id", "=", id).execute(),
  };
}
