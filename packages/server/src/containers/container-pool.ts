import { availableParallelism } from "node:os";
import { InternalError, InvalidError } from "../shared/errors.js";
import { assertExecEnvironment } from "../shared/rules.js";
import { baseEnvironment, type ContainerBackend } from "./container-backend.js";
import { createBackend, detectBackend } from "./container-detect.js";
import { type Container, type ContainerSinks, createContainer } from "./container-instance.js";
import { createSpares, type Spares } from "./container-spares.js";
import type { ContainerPool, ContainerPoolOptions, ContainerSpec } from "./container-types.js";
import { createOutputSink } from "./output-sink.js";
import { clonePayload, cloneValue, type Payload } from "./payload.js";

/** An idle warm container is stopped after this long, so containers of stale keys do not pile up. */
export const idleStopMs = 5 * 60_000;

interface Slot {
  key: string;
  /** Containers running or starting for this key. */
  count: number;
  idle: Container[];
  /** Calls waiting for a container: given one, or `undefined` to try starting one. */
  waiters: Array<(container: Container | undefined) => void>;
}

interface Scheduler {
  backend: ContainerBackend;
  spares: Spares;
  output: ContainerSinks;
  maxPerKey: number;
  slots: Map<string, Slot>;
  /** Every live container and the slot it counts in. */
  running: Map<Container, Slot>;
  /** Containers being started, which `close` waits for. */
  launches: Set<Promise<Container>>;
  idleTimers: Map<Container, NodeJS.Timeout>;
  closed: boolean;
}

const closedError = () => new InternalError("The container pool is closed");

// Hands a usable container to the next waiter or back to the idle list; `undefined` frees a
// place instead, which the next waiter uses to start a container of its own.
function release(pool: Scheduler, slot: Slot, container: Container | undefined): void {
  if (container && !container.usable) return; // it is exiting: `forget` frees its place
  if (!container) slot.count--;
  const waiter = slot.waiters.shift();
  if (waiter) {
    waiter(container);
  } else if (container) {
    slot.idle.push(container);
    pool.idleTimers.set(container, setTimeout(() => void container.stop(), idleStopMs).unref());
  } else if (slot.count === 0) {
    pool.slots.delete(slot.key);
  }
}

function forget(pool: Scheduler, container: Container): void {
  const slot = pool.running.get(container);
  if (!slot) return;
  pool.running.delete(container);
  clearTimeout(pool.idleTimers.get(container));
  pool.idleTimers.delete(container);
  const at = slot.idle.indexOf(container);
  if (at >= 0) slot.idle.splice(at, 1);
  release(pool, slot, undefined);
}

async function startContainer(
  pool: Scheduler,
  slot: Slot,
  start: () => Promise<ContainerSpec>,
): Promise<Container> {
  slot.count++;
  let container: Container;
  try {
    const spec = await start();
    // The exact environment the container gets, checked before anything is spawned.
    assertExecEnvironment({ ...baseEnvironment(), ...spec.env }, spec.sources ?? []);
    if (pool.closed) throw closedError();
    const spare = await pool.spares.take(spec);
    const child = spare ?? pool.backend.spawn(spec);
    container = createContainer(child, spec, pool.output, pool.backend);
  } catch (error) {
    release(pool, slot, undefined);
    throw error;
  }
  // From here its exit frees its place, whether it starts or not; `close` stops it too.
  pool.running.set(container, slot);
  void container.exited.then(() => forget(pool, container));
  if (pool.closed) void container.stop(); // the pool closed while the spare was taken
  await container.ready;
  return container;
}

function launch(pool: Scheduler, slot: Slot, start: () => Promise<ContainerSpec>): Promise<Container> {
  const launching = startContainer(pool, slot, start);
  pool.launches.add(launching);
  const done = () => pool.launches.delete(launching);
  void launching.then(done, done);
  return launching;
}

async function acquire(
  pool: Scheduler,
  key: string,
  start: () => Promise<ContainerSpec>,
): Promise<Container> {
  const slot = pool.slots.get(key) ?? { key, count: 0, idle: [], waiters: [] };
  pool.slots.set(key, slot);
  for (;;) {
    if (pool.closed) throw closedError();
    const idle = slot.idle.pop();
    if (idle) {
      clearTimeout(pool.idleTimers.get(idle));
      return idle;
    }
    if (slot.count < pool.maxPerKey) return launch(pool, slot, start);
    const given = await new Promise<Container | undefined>((resolve) => slot.waiters.push(resolve));
    if (given) return given;
  }
}

/** A pool of warm containers, reused only for calls with the same key. */
export function createContainerPool(options: ContainerPoolOptions): ContainerPool {
  const maxPerKey = options.maxContainersPerKey ?? 2 * availableParallelism();
  if (!Number.isInteger(maxPerKey) || maxPerKey < 1) {
    throw new InvalidError("maxContainersPerKey must be a whole number of at least 1");
  }
  const backend = createBackend(options.backend ?? detectBackend());
  const pool: Scheduler = {
    backend,
    spares: createSpares(backend, { idleStopMs }),
    output: {
      stdout: createOutputSink(options.output.stdout),
      stderr: createOutputSink(options.output.stderr),
    },
    maxPerKey,
    slots: new Map(),
    running: new Map(),
    launches: new Set(),
    idleTimers: new Map(),
    closed: false,
  };
  return {
    backend: pool.backend.name,
    async call(key, start, args, options) {
      let payload: Payload;
      try {
        payload = clonePayload(args);
      } catch {
        // The serializer's own message may quote an argument: name the rule instead.
        throw new InvalidError(
          "Arguments of a function must be structured-clone data (no functions or symbols)",
        );
      }
      return cloneValue(await this.callPayload(key, start, payload, options));
    },
    async callPayload(key, start, args, options = {}) {
      const container = await acquire(pool, key, start);
      try {
        return await container.call(args, options);
      } finally {
        const slot = pool.running.get(container);
        if (slot) release(pool, slot, container);
        // The bundle's next cold start takes a spare. Spawning one blocks this process for a
        // few ms (fork), so not before this call's caller has its answer.
        setImmediate(() => pool.closed || pool.spares.prepare(container.spec));
      }
    },
    async close() {
      pool.closed = true;
      for (const slot of pool.slots.values()) for (const waiter of slot.waiters.splice(0)) waiter(undefined);
      await Promise.all([
        ...[...pool.running.keys()].map((container) => container.stop()),
        pool.spares.close(),
      ]);
      await Promise.allSettled(pool.launches);
      pool.output.stdout.detach();
      pool.output.stderr.detach();
    },
  };
}
