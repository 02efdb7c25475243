import { sql } from "kysely";
import { openRawDatabase, usesPostgres } from "./test-database.js";

// A trigger that refuses every new audit entry: the log's disk full, its table locked away.
const refuseAudit = usesPostgres
  ? [
      sql`create function refuse_audit() returns trigger language plpgsql as $$
          begin raise exception 'the audit log cannot be written'; end $$`,
      sql`create trigger refuse_audit before insert on audit_entries for each row execute function refuse_audit()`,
    ]
  : [
      sql`create trigger refuse_audit before insert on audit_entries
          begin select raise(abort, 'the audit log cannot be written'); end`,
    ];

/** Makes the audit log of the store in `dataDir` refuse every new entry ("the audit log cannot be written"), or take them again. */
export async function setAuditWritable(dataDir: string, writable: boolean): Promise<void> {
  const db = openRawDatabase(dataDir);
  try {
    if (writable)
      await sql`drop trigger refuse_audit${usesPostgres ? sql` on audit_entries` : sql``}`.execute(db);
    else for (const statement of refuseAudit) await statement.execute(db);
  } finally {
    await db.destroy();
  }
}
