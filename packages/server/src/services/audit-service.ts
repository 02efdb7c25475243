import type { AuditRow } from "../store/schema.js";
import type { Store, StoreTables } from "../store/store.js";
import { type Actor, requireRole } from "./actor.js";

/** What an audit entry records. Names, versions and ids only: never a value. */
export interface AuditEvent {
  action: string;
  environment?: string | undefined;
  secret?: string | undefined;
  version?: number | undefined;
}

/** Appends an entry through `audit` (a transaction's, to commit with the change it records). */
export function recordAudit(audit: StoreTables["audit"], actor: Actor, event: AuditEvent): Promise<unknown> {
  return audit.append({
    at: new Date().toISOString(),
    workspaceId: actor.workspaceId,
    actor: actor.name,
    tokenId: actor.tokenId,
    action: event.action,
    environment: event.environment ?? null,
    secret: event.secret ?? null,
    version: event.version ?? null,
    source: actor.source?.address ?? null,
    userAgent: actor.source?.userAgent ?? null,
  });
}

export type AuditEntry = Omit<AuditRow, "workspaceId">;

export function createAuditService(deps: { store: Pick<Store, "replica"> }) {
  return {
    /** Newest first; from the read replica, so the newest entries may be a moment late. */
    async list(actor: Actor, options: { limit?: number | undefined; beforeId?: number | undefined } = {}) {
      requireRole(actor, "admin", "read the audit log");
      const rows = await deps.store.replica.audit.list(actor.workspaceId, {
        limit: Math.min(options.limit ?? 100, 1000),
        beforeId: options.beforeId,
      });
      return rows.map(({ workspaceId: _, ...entry }): AuditEntry => entry);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
