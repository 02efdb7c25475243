import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { makeTempDir, removeTempDir } from "../test-support/temp-lockbox.js";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

let dir: string;
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  removeTempDir(dir);
});

describe("openSqliteStore while another process holds the write lock", () => {
  it("waits for the lock without blocking the event loop, then writes", async () => {
    dir = makeTempDir();
    const path = join(dir, "lockbox.db");
    store = openSqliteStore(path);
    await store.migrate();
    const other = new SqliteDatabase(path);
    other.exec("begin immediate");
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(Date.now()), 5);
    const write = store.directory.insertWorkspace({
      id: "ws-busy",
      name: "busy",
      createdAt: new Date().toISOString(),
    });
    setTimeout(() => other.exec("commit"), 150);
    await write;
    clearInterval(timer);
    other.close();
    // The loop kept turning while the write waited: a synchronous busy wait would allow no tick.
    expect(ticks.length).toBeGreaterThan(5);
    expect((await store.directory.findWorkspace("busy"))?.id).toBe("ws-busy");
  });
});
