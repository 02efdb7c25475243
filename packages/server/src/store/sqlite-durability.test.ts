import { fdatasync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeTempDir, removeTempDir } from "../test-support/temp-lockbox.js";
import { openSqliteStore } from "./sqlite.js";

// The flush of the -wal file, held by the test until it lets it go.
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return { ...fs, fdatasync: vi.fn(fs.fdatasync) };
});

describe("openSqliteStore durability", () => {
  let dir = "";
  afterEach(() => {
    vi.mocked(fdatasync).mockReset();
    removeTempDir(dir);
  });

  it("returns from a transaction only once the -wal file it wrote is flushed to disk", async () => {
    dir = makeTempDir();
    const store = openSqliteStore(join(dir, "lockbox.db"));
    await store.migrate();
    const flushes: { fd: number; done: () => void }[] = [];
    vi.mocked(fdatasync).mockImplementation((fd, done) => {
      flushes.push({ fd, done: () => done(null) });
    });

    let returned = false;
    const written = store
      .transaction((tx) => tx.directory.insertWorkspace({ id: "ws-1", name: "durable", createdAt: "now" }))
      .then(() => {
        returned = true;
      });
    await vi.waitFor(() => expect(flushes).toHaveLength(1));
    expect(readlinkSync(`/proc/self/fd/${flushes[0]?.fd}`)).toBe(join(dir, "lockbox.db-wal"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(returned).toBe(false);

    flushes[0]?.done();
    await written;
    expect(returned).toBe(true);
    await store.close();
  });
});
