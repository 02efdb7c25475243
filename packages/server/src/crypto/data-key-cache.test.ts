import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createDataKeyCache } from "./data-key-cache.js";

/** A cache on a clock the test moves, and an unwrap that counts its calls. */
function setUp(options: { ttlMs?: number; maxEntries?: number } = {}) {
  let nowMs = 0;
  const cache = createDataKeyCache({ ...options, now: () => nowMs });
  const unwrapped: Buffer[] = [];
  const unwrap = () => {
    const key = randomBytes(32);
    unwrapped.push(key);
    return key;
  };
  const advance = (ms: number) => {
    nowMs += ms;
  };
  return { cache, unwrap, unwrapped, advance };
}

const isZeroed = (key: Buffer) => key.every((byte) => byte === 0);

describe("createDataKeyCache", () => {
  it("unwraps a key once while it is fresh", () => {
    const { cache, unwrap, unwrapped, advance } = setUp({ ttlMs: 1000 });
    const first = cache.get("a", unwrap);
    advance(999);
    expect(cache.get("a", unwrap)).toBe(first);
    expect(unwrapped).toHaveLength(1);
  });

  it("unwraps again once the key is stale, and zeroes the stale one", () => {
    const { cache, unwrap, unwrapped, advance } = setUp({ ttlMs: 1000 });
    const first = cache.get("a", unwrap) as Buffer;
    advance(1000);
    const second = cache.get("a", unwrap);
    expect(unwrapped).toHaveLength(2);
    expect(second).not.toBe(first);
    expect(isZeroed(first)).toBe(true);
  });

  it("zeroes stale keys when any key is asked for", () => {
    const { cache, unwrap, advance } = setUp({ ttlMs: 1000 });
    const stale = cache.get("a", unwrap) as Buffer;
    advance(1000);
    cache.get("b", unwrap);
    expect(isZeroed(stale)).toBe(true);
  });

  it("keeps at most maxEntries keys, dropping and zeroing the oldest", () => {
    const { cache, unwrap, unwrapped } = setUp({ maxEntries: 2 });
    const oldest = cache.get("a", unwrap) as Buffer;
    cache.get("b", unwrap);
    cache.get("c", unwrap);
    expect(isZeroed(oldest)).toBe(true);
    cache.get("b", unwrap);
    cache.get("c", unwrap);
    expect(unwrapped).toHaveLength(3);
    cache.get("a", unwrap);
    expect(unwrapped).toHaveLength(4);
  });

  it("does not cache a failed unwrap", () => {
    const { cache } = setUp();
    let calls = 0;
    const failing = () => {
      calls++;
      return undefined;
    };
    expect(cache.get("a", failing)).toBeUndefined();
    expect(cache.get("a", failing)).toBeUndefined();
    expect(calls).toBe(2);
  });
});
