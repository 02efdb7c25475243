import type { Kysely } from "kysely";
import type { Database, EnvironmentRow, StoreKeyRow, WorkspaceRow } from "./schema.js";

/** Workspaces, their environments, the master-key check and the store's own keys. */
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

    listMasterKeys: () => db.selectFrom("masterKeys").selectAll().execute(),
    insertMasterKey: (id: string, check: Buffer, createdAt: string) =>
      db.insertInto("masterKeys").values({ id, check, createdAt }).execute(),

    findStoreKey: (name: string) =>
      db.selectFrom("storeKeys").selectAll().where("name", "=", name).executeTakeFirst(),
    insertStoreKey: (row: StoreKeyRow) => db.insertInto("storeKeys").values(row).execute(),
  };
}
