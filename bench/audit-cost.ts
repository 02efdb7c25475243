// What one audit entry costs to write, against the least it could cost on this machine: the CPU
// time per entry of the server's audit store (hash chain, INSERT, commit, flush to disk), of the
// same rows inserted straight through better-sqlite3 into the same table, and of the entry's HMAC.
// A resolve of 3 secrets writes 3 entries, so 3 × (insert + HMAC) is a floor under its cost.
import { randomBytes } from "node:crypto";
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { databaseFileName } from "@lockbox/server";
import SqliteDatabase from "better-sqlite3";
import { createAuditChain, type EntryToChain, openLockboxWithStore } from "./internals.js";
import { median, round } from "./stats.js";

// About the group that 40 resolves made together leave: 3 entries each.
const entriesPerGroup = 120;

const entry = (workspaceId: string, index: number): EntryToChain => ({
  at: new Date().toISOString(),
  workspaceId,
  actor: "bench",
  tokenId: "tok_bench",
  action: "secret.resolve",
  environment: "main",
  secret: `bench-secret-${index % 3}`,
  version: 1,
  source: "127.0.0.1",
  userAgent: "autocannon",
  target: null,
});

/** CPU µs per entry of `groups` runs of `writeGroup`, this whole process (thread pool included). */
async function cpuUsPerEntry(groups: number, writeGroup: () => unknown): Promise<number> {
  const before = process.cpuUsage();
  for (let group = 0; group < groups; group++) await writeGroup();
  const { user, system } = process.cpuUsage(before);
  return (user + system) / (groups * entriesPerGroup);
}

/** The same rows as the store writes, by one prepared INSERT each, a transaction and a flush a group. */
function rawInserter(path: string) {
  const database = new SqliteDatabase(path);
  const columns =
    "at, workspace_id, actor, token_id, action, environment, secret, version, source, user_agent, target, seq, prev_hash, hash";
  const insert = database.prepare(
    `insert into audit_entries (${columns}) values (${columns.replace(/\w+/g, "?")})`,
  );
  const wal = openSync(`${path}-wal`, "r");
  const hash = "0".repeat(64);
  const rows = Array.from({ length: entriesPerGroup }, (_, index) =>
    Object.values(entry("bench-floor", index)),
  );
  let seq = 0;
  const writeGroup = database.transaction(() => {
    for (const row of rows) insert.run(...row, ++seq, hash, hash);
  });
  return {
    writeGroup() {
      writeGroup();
      fdatasyncSync(wal);
    },
    close() {
      closeSync(wal);
      database.close();
    },
  };
}

export async function auditCostBenchmarks({ quick }: { quick: boolean }) {
  const home = mkdtempSync(join(tmpdir(), "lockbox-bench-audit-"));
  const { lockbox, store } = await openLockboxWithStore({ dataDir: home });
  const raw = rawInserter(join(home, databaseFileName));
  try {
    const { id } = await lockbox.ensureDefaultWorkspace("bench");
    const events = Array.from({ length: entriesPerGroup }, (_, index) => entry(id, index));
    const chain = createAuditChain(randomBytes(32));
    const linked = { ...entry(id, 0), seq: 1, prevHash: "0".repeat(64) };
    const writers = {
      store: () => store.transaction((tx) => tx.audit.append(...events)),
      insert: raw.writeGroup,
      hmac: async () => {
        for (let index = 0; index < entriesPerGroup; index++) chain.entryHash(linked);
      },
    };
    const [turns, groups] = quick ? [3, 15] : [5, 40];
    // Warmed up alike in both modes: until the JIT has compiled the store's path, it costs double.
    for (const writeGroup of Object.values(writers)) await cpuUsPerEntry(50, writeGroup);
    const samples: Record<keyof typeof writers, number[]> = { store: [], insert: [], hmac: [] };
    for (let turn = 0; turn < turns; turn++) {
      for (const name of ["store", "insert", "hmac"] as const) {
        samples[name].push(await cpuUsPerEntry(groups, writers[name]));
      }
    }
    return {
      entriesPerGroup,
      storeUs: round(median(samples.store), 1),
      sqliteInsertUs: round(median(samples.insert), 1),
      hmacUs: round(median(samples.hmac), 1),
    };
  } finally {
    raw.close();
    await lockbox.close();
    rmSync(home, { recursive: true, force: true });
  }
}
