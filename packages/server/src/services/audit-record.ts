import type { EntryToChain } from "../store/audit-store.js";
import type { StoreTables } from "../store/store.js";
import type { Actor } from "./actor.js";

/** An action as the audit log records it, and what it touched: names, versions and ids only, never a value. */
interface AuditedAction {
  action: string;
  environment?: string | undefined;
  secret?: string | undefined;
  version?: number | undefined;
  /** What a call named: `APP/FUNCTION` for `function.call`. */
  target?: string | undefined;
}

/** Appends an entry through `audit` (a transaction's, to commit with the change it records). */
export function recordAudit(
  audit: StoreTables["audit"],
  actor: Actor,
  event: AuditedAction,
): Promise<unknown> {
  return audit.append(auditEntry(actor, event));
}

/** The entry `actor` leaves by `event`: who, from where, when, and what. */
export function auditEntry(actor: Actor, event: AuditedAction): EntryToChain {
  return {
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
    target: event.target ?? null,
  };
}
