import { type AuditChain, chainStart } from "../crypto/audit-chain.js";
import { pageSize } from "../shared/rules.js";
import type { AuditRow } from "../store/schema.js";
import type { Store } from "../store/store.js";
import { type Actor, requireAllEnvironments, requireRole } from "./actor.js";

export type AuditEntry = Omit<AuditRow, "workspaceId">;

/** What `verify` found: the chain's length and head, and every break in it (none: intact). */
export interface AuditVerification {
  entries: number;
  head: { seq: number; hash: string };
  problems: string[];
}

// Entries the chain check reads at once.
const chainPageSize = 1000;

const entryRange = (from: number, to: number) =>
  from === to ? `entry ${from} is` : `entries ${from} to ${to} are`;
// Past this many, more problems add nothing: the log is not intact.
const maxProblems = 20;

export function createAuditService(deps: { store: Pick<Store, "audit" | "replica">; chain: AuditChain }) {
  const { store, chain } = deps;

  /** Walks a workspace's chain in order, checking each entry's place, link and hash. */
  async function walk(workspaceId: string, problems: string[]) {
    let last = { seq: 0, hash: chainStart };
    let entries = 0;
    for (;;) {
      const page = await store.audit.chain(workspaceId, last.seq, chainPageSize);
      for (const row of page) {
        const { seq, prevHash, hash } = row as typeof row & { seq: number };
        entries++;
        if (seq !== last.seq + 1) problems.push(`${entryRange(last.seq + 1, seq - 1)} missing`);
        else if (prevHash !== last.hash) problems.push(`entry ${seq} does not link to entry ${last.seq}`);
        if (hash !== chain.entryHash({ ...row, seq, prevHash: prevHash ?? "" }))
          problems.push(`entry ${seq} was changed after it was written`);
        last = { seq, hash: hash ?? "" };
        if (problems.length >= maxProblems) return { entries, last };
      }
      if (page.length < chainPageSize) return { entries, last };
    }
  }

  return {
    /** Newest first; from the read replica, so the newest entries may be a moment late. */
    async list(actor: Actor, options: { limit?: number | undefined; beforeId?: number | undefined } = {}) {
      requireRole(actor, "admin", "read the audit log");
      requireAllEnvironments(actor, "read the audit log");
      const rows = await store.replica.audit.list(actor.workspaceId, {
        limit: pageSize(options.limit),
        beforeId: options.beforeId,
      });
      return rows.map(({ workspaceId: _, ...entry }): AuditEntry => entry);
    },

    /**
     * Checks the workspace's whole chain, on the primary: no entry missing, changed or added, and
     * the sealed head where the last entry is (so that none was cut off the end).
     */
    async verify(actor: Actor): Promise<AuditVerification> {
      requireRole(actor, "admin", "verify the audit log");
      requireAllEnvironments(actor, "verify the audit log");
      const { workspaceId } = actor;
      const problems: string[] = [];
      const { entries, last } = await walk(workspaceId, problems);
      const head = await store.audit.head(workspaceId);
      if (!head) {
        problems.push("the chain's head is missing: the log was removed");
      } else if (head.seal !== chain.headSeal(workspaceId, head.seq, head.hash)) {
        problems.push("the chain's head was changed after it was written");
      } else if (head.seq > last.seq) {
        problems.push(`${entryRange(last.seq + 1, head.seq)} missing from the end`);
      } else if (head.seq < last.seq || head.hash !== last.hash) {
        problems.push(`entries after ${head.seq} were added behind the chain's back`);
      }
      const unchained = await store.audit.countUnchained(workspaceId);
      if (unchained > 0) problems.push(`${unchained} entries are outside the chain`);
      return { entries, head: { seq: last.seq, hash: last.hash }, problems: problems.slice(0, maxProblems) };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
