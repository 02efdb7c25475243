import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTempDir, removeTempDir } from "../test-support/temp-lockbox.js";
import { createWalSync } from "./wal-sync.js";

/** A -wal file, and a datasync that the test finishes by hand. */
function setUp() {
  const dir = makeTempDir();
  const databasePath = join(dir, "lockbox.db");
  writeFileSync(`${databasePath}-wal`, "");
  const pending: ((error: Error | null) => void)[] = [];
  const wal = createWalSync(databasePath, {
    datasync: (_fd, done) => {
      pending.push(done);
    },
  });
  return { dir, wal, pending };
}

const settled = (promise: Promise<void>) => {
  const state = { done: false, error: undefined as unknown };
  promise.then(
    () => Object.assign(state, { done: true }),
    (error) => Object.assign(state, { done: true, error }),
  );
  return state;
};
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("createWalSync", () => {
  let dir = "";
  afterEach(() => removeTempDir(dir));

  it("answers a commit only after a flush that started after it", async () => {
    const setup = setUp();
    dir = setup.dir;
    const first = settled(setup.wal.sync());
    const second = settled(setup.wal.sync()); // committed while the first flush runs
    const third = settled(setup.wal.sync());
    expect(setup.pending).toHaveLength(1);
    setup.pending[0]?.(null);
    await turn();
    expect(first.done).toBe(true);
    expect(second.done).toBe(false);
    // The two later commits share one flush.
    expect(setup.pending).toHaveLength(2);
    setup.pending[1]?.(null);
    await turn();
    expect([second.done, third.done]).toEqual([true, true]);
    expect(setup.pending).toHaveLength(2);
    setup.wal.close();
  });

  it("fails the commits of a flush that fails, and flushes again for the next", async () => {
    const setup = setUp();
    dir = setup.dir;
    const failed = settled(setup.wal.sync());
    setup.pending[0]?.(Object.assign(new Error("EIO"), { code: "EIO" }));
    await turn();
    expect(failed.error).toMatchObject({ code: "EIO" });
    const next = settled(setup.wal.sync());
    setup.pending[1]?.(null);
    await turn();
    expect(next).toEqual({ done: true, error: undefined });
    setup.wal.close();
  });
});
