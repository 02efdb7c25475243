import type { Kysely } from "kysely";
import type { Database, NewAuditEntry } from "./schema.js";

/** The audit log: append and read, newest first. */
export function createAuditStore(db: Kysely<Database>) {
  return {
    append: (entry: NewAuditEntry) => db.insertInto("auditEntries").values(entry).execute(),
    list: (workspaceId: string, options: { limit: number; beforeId?: number | undefined }) => {
      let query = db.selectFrom("auditEntries").selectAll().where("workspaceId", "=", workspaceId);
      if (options.beforeId !== undefined) query = query.where("id", "<", options.beforeId);
      return query.orderBy("id", "desc").limit(options.limit).execute();
    },
  };
}
