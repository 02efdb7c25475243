import { createHmac } from "node:crypto";

/** What an entry's hash covers: every field of the entry, and its place in the chain. */
export interface ChainedEntry {
  workspaceId: string;
  seq: number;
  prevHash: string;
  at: string;
  actor: string;
  tokenId: string | null;
  action: string;
  environment: string | null;
  secret: string | null;
  version: number | null;
  source: string | null;
  userAgent: string | null;
  /** What a call named (`APP/FUNCTION` for `function.call`); null for every other entry. */
  target: string | null;
}

/** The hash of the entry before the first one of a workspace's chain. */
export const chainStart = "";

/**
 * The audit log's hash chain, keyed: each entry's hash is an HMAC (SHA-256) of the hash before
 * it and of its own fields, under a key kept wrapped by the master key. Whoever can write the
 * database but does not hold the master key can neither edit, insert nor delete an entry without
 * `lockbox audit verify` seeing it.
 */
export function createAuditChain(key: Buffer) {
  // JSON of an array: an unambiguous encoding, whatever the fields contain.
  const mac = (parts: unknown[]) => createHmac("sha256", key).update(JSON.stringify(parts)).digest("hex");
  return {
    entryHash: (entry: ChainedEntry) =>
      mac([
        "entry",
        entry.workspaceId,
        entry.seq,
        entry.prevHash,
        entry.at,
        entry.actor,
        entry.tokenId,
        entry.action,
        entry.environment,
        entry.secret,
        entry.version,
        entry.source,
        entry.userAgent,
        // Covered from the first entry that has one: entries written before the column hash as they did.
        ...(entry.target === null || entry.target === undefined ? [] : [entry.target]),
      ]),
    /** Seals a workspace's chain head, so that cutting entries off the end shows too. */
    headSeal: (workspaceId: string, seq: number, hash: string) => mac(["head", workspaceId, seq, hash]),
  };
}

export type AuditChain = ReturnType<typeof createAuditChain>;
