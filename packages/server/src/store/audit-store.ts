import type { Kysely } from "kysely";
import { type AuditChain, type ChainedEntry, chainStart } from "../crypto/audit-chain.js";
import { InternalError } from "../shared/errors.js";
import type { AuditHeadRow, Database, NewAuditEntry } from "./schema.js";
import type { Dialect } from "./store.js";

const insertRowsMax = 500;

/** An entry as the services write it; its place in the chain is the store's to give. */
export type EntryToChain = Omit<ChainedEntry, "seq" | "prevHash">;

/**
 * The audit log: one hash chain per workspace (see crypto/audit-chain.ts). Appending locks the
 * workspace's chain head until the transaction commits, so that entries written at once, by
 * one server or several, line up one after another.
 */
export function createAuditStore(
  db: Kysely<Database>,
  dialect: Pick<Dialect, "lockRows">,
  chain?: AuditChain,
) {
  function findHead(workspaceId: string, lock: boolean): Promise<AuditHeadRow | undefined> {
    const query = db.selectFrom("auditHeads").selectAll().where("workspaceId", "=", workspaceId);
    return (lock && dialect.lockRows ? query.forUpdate() : query).executeTakeFirst();
  }

  async function lockHead(sealer: AuditChain, workspaceId: string): Promise<AuditHeadRow> {
    const head = await findHead(workspaceId, true);
    if (head) return head;
    const start = {
      workspaceId,
      seq: 0,
      hash: chainStart,
      seal: sealer.headSeal(workspaceId, 0, chainStart),
    };
    await db
      .insertInto("auditHeads")
      .values(start)
      .onConflict((conflict) => conflict.column("workspaceId").doNothing())
      .execute();
    return (await findHead(workspaceId, true)) ?? start;
  }

  /** Links `events` (of one workspace) after its head, writes them with `write`, and moves the head. */
  async function link(
    workspaceId: string,
    events: EntryToChain[],
    write: (entries: NewAuditEntry[]) => Promise<unknown>,
  ): Promise<void> {
    const sealer = requireChain();
    const head = await lockHead(sealer, workspaceId);
    let { seq, hash } = head;
    const entries: NewAuditEntry[] = [];
    for (const event of events) {
      const linked = { ...event, workspaceId, seq: seq + 1, prevHash: hash };
      hash = sealer.entryHash(linked);
      seq = linked.seq;
      entries.push({ ...linked, hash });
    }
    await write(entries);
    await db
      .updateTable("auditHeads")
      .set({ seq, hash, seal: sealer.headSeal(workspaceId, seq, hash) })
      .where("workspaceId", "=", workspaceId)
      .execute();
  }

  function byWorkspace<T extends { workspaceId: string }>(items: T[]): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const item of items) {
      const group = groups.get(item.workspaceId);
      if (group) group.push(item);
      else groups.set(item.workspaceId, [item]);
    }
    return groups;
  }

  function requireChain(): AuditChain {
    if (!chain) throw new InternalError("The audit log was opened without its chain key");
    return chain;
  }

  return {
    /** Gives a workspace its chain's head, before any entry (nothing if it has one). */
    startChain: async (workspaceId: string) => {
      await lockHead(requireChain(), workspaceId);
    },

    /** Whether any chain exists: then the chain's key must not be made again. */
    async hasChains(): Promise<boolean> {
      return (
        (await db.selectFrom("auditHeads").select("workspaceId").limit(1).executeTakeFirst()) !== undefined
      );
    },

    /** Appends entries to their workspaces' chains, in order. Call it inside a transaction. */
    async append(...events: EntryToChain[]): Promise<void> {
      for (const [workspaceId, group] of byWorkspace(events)) {
        await link(workspaceId, group, async (entries) => {
          // A group's entries in few statements, each well under PostgreSQL's 65,535 parameters.
          for (let start = 0; start < entries.length; start += insertRowsMax) {
            await db
              .insertInto("auditEntries")
              .values(entries.slice(start, start + insertRowsMax))
              .execute();
          }
        });
      }
    },

    /** Links entries written before the chain existed, oldest first. Call it inside a transaction. */
    async adoptUnchained(): Promise<number> {
      const rows = await db
        .selectFrom("auditEntries")
        .selectAll()
        .where("seq", "is", null)
        .orderBy("id")
        .execute();
      for (const [workspaceId, group] of byWorkspace(rows)) {
        await link(workspaceId, group, async (entries) => {
          for (const [index, { seq, prevHash, hash }] of entries.entries()) {
            const id = group[index]?.id ?? -1;
            await db.updateTable("auditEntries").set({ seq, prevHash, hash }).where("id", "=", id).execute();
          }
        });
      }
      return rows.length;
    },

    list: (workspaceId: string, options: { limit: number; beforeId?: number | undefined }) => {
      let query = db.selectFrom("auditEntries").selectAll().where("workspaceId", "=", workspaceId);
      if (options.beforeId !== undefined) query = query.where("id", "<", options.beforeId);
      return query.orderBy("id", "desc").limit(options.limit).execute();
    },

    /** A workspace's chain in order, the `limit` entries after `afterSeq`. */
    chain: (workspaceId: string, afterSeq: number, limit: number) =>
      db
        .selectFrom("auditEntries")
        .selectAll()
        .where("workspaceId", "=", workspaceId)
        .where("seq", ">", afterSeq)
        .orderBy("seq")
        .limit(limit)
        .execute(),

    head: (workspaceId: string) => findHead(workspaceId, false),

    /** How many of a workspace's entries are outside its chain (none, unless someone added them). */
    async countUnchained(workspaceId: string): Promise<number> {
      const row = await db
        .selectFrom("auditEntries")
        .select((eb) => eb.fn.countAll<number>().as("count"))
        .where("workspaceId", "=", workspaceId)
        .where("seq", "is", null)
        .executeTakeFirst();
      return Number(row?.count ?? 0);
    },
  };
}
