import { createHmac, randomBytes } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAuditChain } from "../crypto/audit-chain.js";
import { PermissionDeniedError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox, testActor } from "../test-support/temp-lockbox.js";
import { openRawDatabase } from "../test-support/test-database.js";
import { recordAudit } from "./audit-record.js";

let box: TempLockbox;
beforeEach(async () => {
  box = await openTempLockbox();
  const { secrets } = box.services;
  const ref = { environment: "main", name: "chained" };
  await secrets.create(box.admin, { ...ref, values: { A: "audit-chain-value-1" } });
  for (let i = 0; i < 4; i++) await secrets.reveal(box.admin, ref);
  await secrets.update(box.admin, { ...ref, set: { B: "audit-chain-value-2" } });
});
afterEach(async () => {
  await box.dispose();
});

// biome-ignore lint/suspicious/noExplicitAny: raw SQL, as someone with access to the database would write it
async function tamper(change: (db: Kysely<any>) => Promise<unknown>): Promise<void> {
  const db = openRawDatabase(box.dataDir);
  try {
    await change(db);
  } finally {
    await db.destroy();
  }
}

const verify = () => box.services.audit.verify(box.admin);

describe("the audit log's hash chain", () => {
  it("links every entry, in order, and verifies intact", async () => {
    const result = await verify();
    expect(result).toMatchObject({ entries: 6, problems: [] });
    const log = (await box.services.audit.list(box.admin)).reverse();
    expect(log.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const [i, entry] of log.entries()) {
      expect(entry.prevHash).toBe(i === 0 ? "" : log[i - 1]?.hash);
      expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(result.head).toEqual({ seq: 6, hash: log[5]?.hash });
  });

  it("finds an entry that was changed", async () => {
    await tamper((db) =>
      sql`update audit_entries set actor = 'someone else' where workspace_id = ${box.workspaceId} and seq = 3`.execute(
        db,
      ),
    );
    expect((await verify()).problems).toEqual(["entry 3 was changed after it was written"]);
  });

  it("finds an entry removed from the middle", async () => {
    await tamper((db) =>
      sql`delete from audit_entries where workspace_id = ${box.workspaceId} and seq = 2`.execute(db),
    );
    expect((await verify()).problems).toEqual(["entry 2 is missing"]);
  });

  it("finds entries cut off the end, even with the head moved back to the last one left", async () => {
    await tamper((db) =>
      sql`delete from audit_entries where workspace_id = ${box.workspaceId} and seq >= 5`.execute(db),
    );
    expect((await verify()).problems).toEqual(["entries 5 to 6 are missing from the end"]);
    await tamper((db) =>
      sql`update audit_heads set seq = 4,
            hash = (select hash from audit_entries where workspace_id = ${box.workspaceId} and seq = 4)
          where workspace_id = ${box.workspaceId}`.execute(db),
    );
    expect((await verify()).problems).toEqual(["the chain's head was changed after it was written"]);
  });

  it("finds a workspace's whole log removed, head and all", async () => {
    await tamper(async (db) => {
      await sql`delete from audit_entries where workspace_id = ${box.workspaceId}`.execute(db);
      await sql`delete from audit_heads where workspace_id = ${box.workspaceId}`.execute(db);
    });
    expect((await verify()).problems).toEqual(["the chain's head is missing: the log was removed"]);
  });

  it("refuses to start without the chain's key once chains exist, rather than make a new one", async () => {
    await box.close();
    await tamper((db) => sql`delete from store_keys`.execute(db));
    await expect(openTempLockbox({ dataDir: box.dataDir })).rejects.toThrow(
      "The audit log's chain key is missing from the store while its chains exist: restore the database from a backup",
    );
  });

  it("finds an entry slipped in outside the chain", async () => {
    await tamper((db) =>
      sql`insert into audit_entries (at, workspace_id, actor, action)
          values ('2026-01-01T00:00:00.000Z', ${box.workspaceId}, 'forger', 'secret.create')`.execute(db),
    );
    expect((await verify()).problems).toEqual(["1 entries are outside the chain"]);
  });

  it("is for admins only", async () => {
    await expect(box.services.audit.verify(testActor(box.workspaceId, "developer"))).rejects.toThrow(
      PermissionDeniedError,
    );
  });

  it("stays whole under concurrent writes and reads from two instances on one store", async () => {
    const second = await openTempLockbox({ dataDir: box.dataDir });
    try {
      const ref = { environment: "main", name: "chained" };
      const work = Array.from({ length: 40 }, (_, i) => {
        const instance = i % 2 === 0 ? box : second;
        return i % 4 < 2
          ? instance.services.secrets.update(instance.admin, { ...ref, set: { [`K${i}`]: `${i}` } })
          : instance.services.secrets.reveal(instance.admin, ref);
      });
      await Promise.all(work);
    } finally {
      await second.close();
    }
    const result = await verify();
    expect(result).toMatchObject({ entries: 46, problems: [], head: { seq: 46 } });
  });

  it("records each of fifty reads made at once, in groups, before any of them answers", async () => {
    const { secrets } = box.services;
    const ref = { environment: "main", name: "chained" };
    const reads = Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0
        ? secrets.reveal(box.admin, ref)
        : secrets.resolve(box.admin, { environment: "main", secrets: [{ name: ref.name }] }),
    );
    await Promise.all(reads);
    const actions = (await box.services.audit.list(box.admin, { limit: 1000 })).map((entry) => entry.action);
    expect(actions.filter((action) => action === "secret.resolve")).toHaveLength(25);
    expect(actions.filter((action) => action === "secret.reveal")).toHaveLength(25 + 4);
    expect(await verify()).toMatchObject({ entries: 56, problems: [] });
    const [info] = await secrets.list(box.admin, { environment: "main" });
    expect(info?.lastUsedAt).toEqual(expect.any(String));
  });

  it("links the entries written before the chain existed, on the first start that has it", async () => {
    await box.close();
    await tamper(async (db) => {
      await sql`update audit_entries set seq = null, prev_hash = null, hash = null`.execute(db);
      await sql`delete from audit_heads`.execute(db);
      await sql`delete from store_keys`.execute(db);
    });
    box = await openTempLockbox({ dataDir: box.dataDir });
    expect(await verify()).toMatchObject({ entries: 6, problems: [] });
    await box.services.secrets.reveal(box.admin, { environment: "main", name: "chained" });
    expect(await verify()).toMatchObject({ entries: 7, problems: [] });
  });

  const recordCall = (target: string) =>
    box.store.transaction((tx) =>
      recordAudit(tx.audit, box.admin, { action: "function.call", environment: "main", target, version: 3 }),
    );

  it("stores a call's target in its own column, covered by the entry's hash", async () => {
    await recordCall("billing/charge");
    const [entry] = await box.services.audit.list(box.admin, { limit: 1 });
    expect(entry).toMatchObject({ action: "function.call", target: "billing/charge", secret: null, seq: 7 });
    expect(await verify()).toMatchObject({ entries: 7, problems: [] });
    await tamper((db) =>
      sql`update audit_entries set target = 'billing/refund' where workspace_id = ${box.workspaceId} and seq = 7`.execute(
        db,
      ),
    );
    expect((await verify()).problems).toEqual(["entry 7 was changed after it was written"]);
    await tamper((db) =>
      sql`update audit_entries set target = null where workspace_id = ${box.workspaceId} and seq = 7`.execute(
        db,
      ),
    );
    expect((await verify()).problems).toEqual(["entry 7 was changed after it was written"]);
  });

  it("finds a target added to an entry written without one", async () => {
    await tamper((db) =>
      sql`update audit_entries set target = 'app/fn' where workspace_id = ${box.workspaceId} and seq = 2`.execute(
        db,
      ),
    );
    expect((await verify()).problems).toEqual(["entry 2 was changed after it was written"]);
  });

  it("verifies entries written before the target column existed, once the migration adds it", async () => {
    await box.close();
    // The database as the version before the column left it: no column, no later migration applied.
    await tamper(async (db) => {
      await sql`alter table audit_entries drop column target`.execute(db);
      await sql`drop table identities`.execute(db); // 0011's
      await sql`delete from kysely_migration where name > '0008-deployment-files'`.execute(db);
    });
    box = await openTempLockbox({ dataDir: box.dataDir });
    expect(await verify()).toMatchObject({ entries: 6, problems: [] });
    await recordCall("billing/charge");
    expect(await verify()).toMatchObject({ entries: 7, problems: [] });
  });
});

describe("createAuditChain", () => {
  const entry = {
    workspaceId: "ws",
    seq: 4,
    prevHash: "ab",
    at: "2026-01-01T00:00:00.000Z",
    actor: "ana",
    tokenId: "tk",
    action: "secret.reveal",
    environment: "main",
    secret: "db",
    version: 2,
    source: "127.0.0.1",
    userAgent: "curl",
  };

  it("hashes an entry without a target exactly as before the column existed", () => {
    const key = randomBytes(32);
    const before = createHmac("sha256", key)
      .update(JSON.stringify(["entry", ...Object.values(entry)]))
      .digest("hex");
    expect(createAuditChain(key).entryHash({ ...entry, target: null })).toBe(before);
  });

  it("gives an entry with a target a hash of its own", () => {
    const chain = createAuditChain(randomBytes(32));
    const hashes = new Set(
      [null, "a/f", "a/g"].map((target) => chain.entryHash({ ...entry, action: "function.call", target })),
    );
    expect(hashes.size).toBe(3);
  });
});
