import { describe, expect, it } from "vitest";
import { createReadCache } from "./read-cache.js";

/** A cache on a mark the test moves, and a read that counts its calls. */
function setUp(maxEntries?: number) {
  let mark = 0;
  const cache = createReadCache(() => String(mark), maxEntries);
  let reads = 0;
  const read = (value: unknown) => () => {
    reads++;
    return Promise.resolve(value);
  };
  return { cache, read, reads: () => reads, change: () => mark++ };
}

describe("createReadCache", () => {
  it("reads once while the mark stays the same, sharing one read between callers", async () => {
    const { cache, read, reads } = setUp();
    const [first, second] = await Promise.all([cache.get("a", read("A")), cache.get("a", read("A"))]);
    expect(await cache.get("a", read("other"))).toBe("A");
    expect([first, second]).toEqual(["A", "A"]);
    expect(reads()).toBe(1);
  });

  it("reads again once the mark changed", async () => {
    const { cache, read, reads, change } = setUp();
    await cache.get("a", read("old"));
    change();
    expect(await cache.get("a", read("new"))).toBe("new");
    expect(reads()).toBe(2);
  });

  it("keeps neither misses nor failures", async () => {
    const { cache, read, reads } = setUp();
    expect(await cache.get("missing", read(undefined))).toBeUndefined();
    expect(await cache.get("missing", read("found"))).toBe("found");
    await expect(cache.get("b", () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(await cache.get("b", read("up"))).toBe("up");
    expect(reads()).toBe(3);
  });

  it("keeps at most maxEntries results, dropping the oldest", async () => {
    const { cache, read, reads } = setUp(2);
    await cache.get("a", read("A"));
    await cache.get("b", read("B"));
    await cache.get("c", read("C"));
    await cache.get("b", read("B"));
    await cache.get("c", read("C"));
    expect(reads()).toBe(3);
    await cache.get("a", read("A"));
    expect(reads()).toBe(4);
  });
});
