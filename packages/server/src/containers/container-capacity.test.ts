import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ResourceExhaustedError } from "../shared/errors.js";
import { type CallGate, startCallGate } from "../test-support/call-gate.js";
import { captureOutput, type TestBundle, writeTestBundle } from "../test-support/container-bundle.js";
import { defaultMaxContainers } from "./container-capacity.js";
import { createContainerPool } from "./container-pool.js";
import type { ContainerPool, ContainerPoolOptions } from "./container-types.js";

// `pass` waits at the gate, then answers its pid; `pid` answers at once.
const code = `const registry = (globalThis[Symbol.for("lockbox.functions")] ??= []);
registry.push(async (url) => { await (await fetch(url)).text(); return process.pid; });
registry.push(() => process.pid);`;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("createContainerPool's capacity (process)", () => {
  let bundle: TestBundle;
  let gate: CallGate;
  const pools: ContainerPool[] = [];
  const open = (options: Partial<ContainerPoolOptions>) => {
    const pool = createContainerPool({ backend: "process", output: captureOutput(), ...options });
    pools.push(pool);
    return pool;
  };
  const spec = (index: number) => async () =>
    bundle.spec("env", { functionIndex: index, functionName: index === 0 ? "pass" : "pid" });
  // A call of `workspace` that runs until the gate `name` opens.
  const pass = (pool: ContainerPool, workspace: string, key: string, name: string, signal?: AbortSignal) =>
    pool.call(key, spec(0), [gate.url(name)], { workspace, signal }) as Promise<number>;
  const queued = (pool: ContainerPool, count: number) =>
    vi.waitFor(() => expect(pool.stats().queued).toBe(count), { timeout: 5000, interval: 10 });

  beforeAll(async () => {
    bundle = await writeTestBundle({ code });
    gate = await startCallGate();
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
  });
  afterAll(async () => {
    await gate.close();
    bundle.remove();
  });

  it("defaults to 4 containers a core, no more than fit in three quarters of the memory", () => {
    const gib = 1024 ** 3;
    expect(defaultMaxContainers(2, 24 * gib)).toBe(8);
    expect(defaultMaxContainers(16, 4 * gib)).toBe(6);
    expect(defaultMaxContainers(1, 0.25 * gib)).toBe(1);
  });

  it("refuses a call at once when the queue is full, one workspace filling half of it", async () => {
    const pool = open({ maxContainers: 1, maxQueuedCalls: 2 });
    const first = pass(pool, "a", "a", "full-a1");
    await gate.arrived("full-a1");
    const second = pass(pool, "a", "a", "full-a2");
    await queued(pool, 1);
    // The workspace has its half of the queue: its next call is refused while the first still runs.
    await expect(pass(pool, "a", "a", "full-a3")).rejects.toBeInstanceOf(ResourceExhaustedError);
    const other = pass(pool, "b", "b", "full-b1");
    await queued(pool, 2);
    const refused = await pass(pool, "b", "b", "full-b2").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ResourceExhaustedError);
    expect(refused).toMatchObject({ code: "resource_exhausted", retryAfterSeconds: 1 });
    expect(gate.seen("full-a1") && !gate.seen("full-a2")).toBe(true);
    for (const name of ["full-a1", "full-a2", "full-b1"]) gate.open(name);
    expect(await Promise.all([first, second, other])).toHaveLength(3);
    expect(pool.stats()).toMatchObject({ queued: 0 });
  });

  it("stops the least recently used idle container of another key to make room", async () => {
    const pool = open({ maxContainers: 2 });
    const call = (key: string) => pool.call(key, spec(1), [], { workspace: "a" }) as Promise<number>;
    const one = await call("one");
    const two = await call("two");
    expect(await call("one")).toBe(one); // `two` is now the least recently used
    const three = await call("three");
    await vi.waitFor(() => expect(alive(two)).toBe(false), { timeout: 5000, interval: 10 });
    expect(alive(one)).toBe(true);
    expect(pool.stats()).toEqual({ containers: 2, queued: 0 });
    expect(await call("one")).toBe(one);
    expect(await call("three")).toBe(three);
  });

  it("stops a lineage's containers of older keys: idle ones when a newer key starts, busy ones once done", async () => {
    const pool = open({});
    const call = (key: string, lineage: string) =>
      pool.call(key, spec(1), [], { workspace: "a", lineage }) as Promise<number>;
    const idleOld = await call("v1", "fn");
    const otherLineage = await call("w1", "other");
    const busyOld = pool.call("v1-busy", spec(0), [gate.url("lineage-busy")], {
      workspace: "a",
      lineage: "fn",
    });
    await gate.arrived("lineage-busy");
    const newer = await call("v2", "fn");
    await vi.waitFor(() => expect(alive(idleOld)).toBe(false), { timeout: 5000, interval: 10 });
    // The busy one finishes its call (it would reject, stopped), and stops after.
    gate.open("lineage-busy");
    const finished = (await busyOld) as number;
    await vi.waitFor(() => expect(alive(finished)).toBe(false), { timeout: 5000, interval: 10 });
    expect(alive(newer) && alive(otherLineage)).toBe(true);
    expect(await call("v2", "fn")).toBe(newer);
    expect(await call("w1", "other")).toBe(otherLineage);
  });

  it("gives a freed place to a waiting workspace that holds fewer, not to the one holding every place", async () => {
    const pool = open({ maxContainers: 2 });
    // Workspace a takes every place while nobody else waits…
    const a1 = pass(pool, "a", "a", "share-a1");
    const a2 = pass(pool, "a", "a", "share-a2");
    await Promise.all([gate.arrived("share-a1"), gate.arrived("share-a2")]);
    const a3 = pass(pool, "a", "a", "share-a3");
    await queued(pool, 1);
    const b1 = pass(pool, "b", "b", "share-b1");
    await queued(pool, 2);
    // …and, as its first call ends, its container stops and b (queued after a3) starts one.
    gate.open("share-a1");
    await a1;
    await gate.arrived("share-b1");
    expect(gate.seen("share-a3")).toBe(false);
    expect(pool.stats()).toEqual({ containers: 2, queued: 1 });
    for (const name of ["share-a2", "share-a3", "share-b1"]) gate.open(name);
    expect(await Promise.all([a2, a3, b1])).toHaveLength(3);
  });

  it("gives a freed place to a call of another key that waited longer than the next of its own", async () => {
    const pool = open({ maxContainers: 1 });
    const first = pass(pool, "a", "k", "order-k1");
    await gate.arrived("order-k1");
    const other = pass(pool, "a", "l", "order-l1");
    await queued(pool, 1);
    const again = pass(pool, "a", "k", "order-k2");
    await queued(pool, 2);
    gate.open("order-k1");
    await first;
    await gate.arrived("order-l1");
    expect(gate.seen("order-k2")).toBe(false);
    gate.open("order-l1");
    gate.open("order-k2");
    expect(await Promise.all([other, again])).toHaveLength(2);
  });

  it("takes an aborted waiting call out of the queue at once", async () => {
    const pool = open({ maxContainers: 1, maxQueuedCalls: 1 });
    const first = pass(pool, "a", "a", "abort-a1");
    await gate.arrived("abort-a1");
    const controller = new AbortController();
    const waiting = pass(pool, "a", "a", "abort-a2", controller.signal).catch((error: unknown) => error);
    await queued(pool, 1);
    controller.abort();
    expect((await waiting) as Error).toHaveProperty("name", "AbortError");
    expect(pool.stats().queued).toBe(0);
    // Its place in the queue is free for another call, which runs next.
    const next = pass(pool, "a", "a", "abort-a3");
    await queued(pool, 1);
    gate.open("abort-a1");
    gate.open("abort-a3");
    expect(await Promise.all([first, next])).toHaveLength(2);
    expect(gate.seen("abort-a2")).toBe(false);
  });
});
