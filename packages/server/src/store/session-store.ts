import type { Kysely } from "kysely";
import type { Database, SessionRow } from "./schema.js";

/** Dashboard sessions, stored by the hash of their cookie. */
export function createSessionStore(db: Kysely<Database>) {
  return {
    insert: (row: SessionRow) => db.insertInto("sessions").values(row).execute(),
    findByHash: (hash: string) =>
      db.selectFrom("sessions").selectAll().where("hash", "=", hash).executeTakeFirst(),
    touch: (id: string, at: string) =>
      db.updateTable("sessions").set({ lastSeenAt: at }).where("id", "=", id).execute(),
    delete: (id: string) => db.deleteFrom("sessions").where("id", "=", id).execute(),
    /** Removes sessions past their absolute end (`now`) or idle since before `idleSince`. */
    deleteExpired: (now: string, idleSince: string) =>
      db
        .deleteFrom("sessions")
        .where((eb) => eb.or([eb("expiresAt", "<=", now), eb("lastSeenAt", "<=", idleSince)]))
        .execute(),
  };
}
