import { afterEach, describe, expect, it, vi } from "vitest";
import { createFailureLimiter, limiterMaxKeys } from "./failure-limiter.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("createFailureLimiter", () => {
  it("refuses a key after its failures fill the window, until the window ends", () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 1_000_000 });
    const limiter = createFailureLimiter({ maxFailures: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) expect(limiter.begin("10.0.0.1")).toBe(0);
    expect(limiter.begin("10.0.0.1")).toBe(60_000);
    expect(limiter.begin("10.0.0.2")).toBe(0);
    vi.setSystemTime(1_000_000 + 45_000);
    expect(limiter.begin("10.0.0.1")).toBe(15_000);
    vi.setSystemTime(1_000_000 + 60_000);
    expect(limiter.begin("10.0.0.1")).toBe(0);
  });

  it("does not count attempts that succeeded", () => {
    const limiter = createFailureLimiter({ maxFailures: 2, windowMs: 60_000 });
    for (let i = 0; i < 10; i++) {
      expect(limiter.begin("a")).toBe(0);
      limiter.succeeded("a");
    }
    expect(limiter.begin("a")).toBe(0);
    expect(limiter.begin("a")).toBe(0);
    expect(limiter.begin("a")).toBeGreaterThan(0);
  });

  it("counts attempts from their start, so a burst cannot outrun the count", () => {
    const limiter = createFailureLimiter({ maxFailures: 5, windowMs: 60_000 });
    const admitted = Array.from({ length: 50 }, () => limiter.begin("burst")).filter((wait) => wait === 0);
    expect(admitted).toHaveLength(5);
  });

  it("counts at most limiterMaxKeys keys, forgetting the oldest windows first", () => {
    const limiter = createFailureLimiter({ maxFailures: 1, windowMs: 60_000 });
    limiter.begin("oldest");
    limiter.begin("second");
    for (let i = 0; i < limiterMaxKeys - 2; i++) limiter.begin(`key-${i}`);
    expect(limiter.begin("second")).toBeGreaterThan(0);
    limiter.begin("newcomer");
    expect(limiter.begin("oldest")).toBe(0);
    expect(limiter.begin("newcomer")).toBeGreaterThan(0);
    expect(limiter.begin(`key-${limiterMaxKeys - 3}`)).toBeGreaterThan(0);
  });

  it("forgets windows that have ended before live ones when full", () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 1_000_000 });
    const limiter = createFailureLimiter({ maxFailures: 1, windowMs: 60_000 });
    limiter.begin("ended");
    vi.setSystemTime(1_000_000 + 30_000);
    for (let i = 0; i < limiterMaxKeys - 1; i++) limiter.begin(`live-${i}`);
    vi.setSystemTime(1_000_000 + 60_000);
    // "ended" makes room for "new"; every live window keeps counting.
    limiter.begin("new");
    expect(limiter.begin("live-0")).toBeGreaterThan(0);
    expect(limiter.begin("new")).toBeGreaterThan(0);
  });
});
