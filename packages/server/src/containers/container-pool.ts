import { availableParallelism } from "node:os";
import { InternalError, InvalidError, LockboxError, UnavailableError } from "../shared/errors.js";
import { assertExecEnvironment } from "../shared/rules.js";
import { baseEnvironment, type ContainerBackend } from "./container-backend.js";
import { type Capacity, createCapacity, defaultMaxQueuedCalls } from "./container-capacity.js";
import { createBackend, detectBackend } from "./container-detect.js";
import { type Container, type ContainerSinks, createContainer } from "./container-instance.js";
import { createSpares, type Spares } from "./container-spares.js";
import type {
  CallOptions,
  CallOutcome,
  ContainerPool,
  ContainerPoolEvents,
  ContainerPoolOptions,
  ContainerSpec,
} from "./container-types.js";
import { createOutputSink } from "./output-sink.js";
import { clonePayload, cloneValue, type Payload } from "./payload.js";

/** An idle warm container is stopped after this long, so containers of stale keys do not pile up. */
export const idleStopMs = 5 * 60_000;

interface Owner {
  key: string;
  workspace: string;
  lineage?: string | undefined;
}

interface Scheduler {
  backend: ContainerBackend;
  spares: Spares;
  output: ContainerSinks;
  capacity: Capacity<Container>;
  /** Idle warm containers of each key, the most recently used last. */
  idle: Map<string, Container[]>;
  /** Every idle container, the least recently used first. */
  idleOrder: Container[];
  /** Every live container, and whose place it holds. */
  running: Map<Container, Owner>;
  /** Containers being started, which `close` waits for. */
  launches: Set<Promise<Container>>;
  idleTimers: Map<Container, NodeJS.Timeout>;
  /** The key each lineage last started a container for, while the lineage has containers. */
  newest: Map<string, string>;
  /** Bundles whose containers were stopped for good (an ephemeral run's, once it ended): none starts again. */
  retired: Set<string>;
  events: ContainerPoolEvents | undefined;
  closed: boolean;
}

const closedError = () => new InternalError("The container pool is closed");

function unidle(pool: Scheduler, container: Container, key: string): void {
  clearTimeout(pool.idleTimers.get(container));
  pool.idleTimers.delete(container);
  const own = pool.idle.get(key) ?? [];
  if (own.includes(container)) own.splice(own.indexOf(container), 1);
  if (own.length === 0) pool.idle.delete(key);
  if (pool.idleOrder.includes(container)) pool.idleOrder.splice(pool.idleOrder.indexOf(container), 1);
}

// Stops the least recently used idle container, to make room for another key's.
function stopIdle(pool: Scheduler): boolean {
  const victim = pool.idleOrder[0];
  const owner = victim && pool.running.get(victim);
  if (!victim || !owner) return false;
  unidle(pool, victim, owner.key);
  void victim.stop(); // its exit frees its place
  return true;
}

const stale = (pool: Scheduler, owner: Owner) => {
  const newest = owner.lineage === undefined ? undefined : pool.newest.get(owner.lineage);
  return newest !== undefined && newest !== owner.key;
};

// A container starts for `owner`'s key: its lineage's idle containers of other keys are stopped.
function supersede(pool: Scheduler, owner: Owner): void {
  if (owner.lineage === undefined) return;
  pool.newest.set(owner.lineage, owner.key);
  for (const container of [...pool.idleOrder]) {
    const other = pool.running.get(container);
    if (other?.lineage !== owner.lineage || other.key === owner.key) continue;
    unidle(pool, container, other.key);
    void container.stop(); // its exit frees its place
  }
}

// A call is done with `container`: it goes to a call waiting for its key, stops to give its
// place to a workspace that holds fewer or because it is stale or past its reuse time, or waits
// idle (until then at most).
function release(pool: Scheduler, container: Container): void {
  const owner = pool.running.get(container);
  if (!owner || !container.usable) return; // it is exiting: `forget` frees its place
  // Past its reuse time (its identity token expires soon) it takes no call, not even a waiting one.
  const reusableMs = (container.spec.reuseUntilMs ?? Number.POSITIVE_INFINITY) - Date.now();
  if (reusableMs <= 0) return void container.stop();
  const next = pool.capacity.release(owner.workspace, owner.key, container);
  if (next === "stop" || (next === "idle" && stale(pool, owner))) return void container.stop();
  if (next !== "idle") return;
  pool.idle.set(owner.key, [...(pool.idle.get(owner.key) ?? []), container]);
  pool.idleOrder.push(container);
  const stopMs = Math.min(idleStopMs, reusableMs);
  pool.idleTimers.set(container, setTimeout(() => void container.stop(), stopMs).unref());
}

function forget(pool: Scheduler, container: Container): void {
  const owner = pool.running.get(container);
  if (!owner) return;
  pool.running.delete(container);
  unidle(pool, container, owner.key);
  const { lineage } = owner;
  if (lineage !== undefined && ![...pool.running.values()].some((other) => other.lineage === lineage))
    pool.newest.delete(lineage);
  pool.capacity.free(owner.workspace, owner.key);
}

// Starts a container in a place already taken for `owner`.
async function startContainer(
  pool: Scheduler,
  owner: Owner,
  start: () => Promise<ContainerSpec>,
): Promise<Container> {
  let container: Container;
  try {
    const spec = await start();
    // The exact environment the container gets, checked before anything is spawned.
    assertExecEnvironment({ ...baseEnvironment(), ...spec.env }, spec.sources ?? []);
    if (pool.closed) throw closedError();
    if (pool.retired.has(spec.bundlePath))
      throw new UnavailableError(`Function ${spec.functionName}'s code was retired: its app run has ended`);
    const spare = await pool.spares.take(spec);
    const child = spare ?? pool.backend.spawn(spec);
    container = createContainer(child, spec, pool.output, pool.backend);
    pool.events?.containerFound(spare ? "spare" : "cold");
  } catch (error) {
    pool.capacity.free(owner.workspace, owner.key);
    throw error;
  }
  // From here its exit frees its place, whether it starts or not; `close` stops it too.
  pool.running.set(container, owner);
  void container.exited.then(() => forget(pool, container));
  if (pool.closed) void container.stop(); // the pool closed while the spare was taken
  await container.ready;
  return container;
}

function launch(pool: Scheduler, owner: Owner, start: () => Promise<ContainerSpec>): Promise<Container> {
  supersede(pool, owner);
  const launching = startContainer(pool, owner, start);
  pool.launches.add(launching);
  const done = () => pool.launches.delete(launching);
  void launching.then(done, done);
  return launching;
}

async function acquire(
  pool: Scheduler,
  owner: Owner,
  start: () => Promise<ContainerSpec>,
  signal: AbortSignal | undefined,
): Promise<Container> {
  if (pool.closed) throw closedError();
  const idle = pool.idle.get(owner.key)?.at(-1);
  if (idle) unidle(pool, idle, owner.key);
  const given = idle ? { container: idle } : await pool.capacity.acquire(owner.workspace, owner.key, signal);
  if (!("container" in given)) return launch(pool, owner, start);
  pool.events?.containerFound("warm");
  return given.container;
}

async function callIn(
  pool: Scheduler,
  key: string,
  start: () => Promise<ContainerSpec>,
  args: Payload,
  options: CallOptions,
): Promise<Payload> {
  const owner = { key, workspace: options.workspace ?? "", lineage: options.lineage };
  const container = await acquire(pool, owner, start, options.signal);
  try {
    return await container.call(args, options);
  } finally {
    release(pool, container);
    // The bundle's next cold start takes a spare. Spawning one blocks this process for a
    // few ms (fork), so not before this call's caller has its answer; and only while a
    // container could start, as spares are not counted among the containers.
    const { spec } = container;
    setImmediate(
      () =>
        pool.closed || pool.retired.has(spec.bundlePath) || pool.capacity.full() || pool.spares.prepare(spec),
    );
  }
}

const outcomeOf = (error: unknown, signal: AbortSignal | undefined): CallOutcome =>
  signal?.aborted ? "cancelled" : error instanceof LockboxError ? error.code : "internal";

function limit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidError(`${name} must be a whole number of at least 1`);
  }
  return value;
}

/** A pool of warm containers, reused only for calls with the same key, at most `maxContainers` live. */
export function createContainerPool(options: ContainerPoolOptions): ContainerPool {
  const maxContainers = limit("maxContainers", options.maxContainers, Number.POSITIVE_INFINITY);
  const limits = {
    maxContainers,
    maxPerKey: limit("maxContainersPerKey", options.maxContainersPerKey, 2 * availableParallelism()),
    maxQueuedCalls: limit("maxQueuedCalls", options.maxQueuedCalls, defaultMaxQueuedCalls(maxContainers)),
  };
  const backend = createBackend(options.backend ?? detectBackend());
  const pool: Scheduler = {
    backend,
    spares: createSpares(backend, { idleStopMs }),
    output: {
      stdout: createOutputSink(options.output.stdout),
      stderr: createOutputSink(options.output.stderr),
    },
    capacity: createCapacity<Container>(limits, () => stopIdle(pool)),
    idle: new Map(),
    idleOrder: [],
    running: new Map(),
    launches: new Set(),
    idleTimers: new Map(),
    newest: new Map(),
    retired: new Set(),
    events: options.events,
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
    async callPayload(key, start, args, options: CallOptions = {}) {
      try {
        const result = await callIn(pool, key, start, args, options);
        pool.events?.callEnded("ok");
        return result;
      } catch (error) {
        pool.events?.callEnded(outcomeOf(error, options.signal));
        throw error;
      }
    },
    stats: () => pool.capacity.stats(),
    async retire(bundlePath) {
      pool.retired.add(bundlePath);
      const own = [...pool.running.keys()].filter((container) => container.spec.bundlePath === bundlePath);
      await Promise.all([...own.map((container) => container.stop()), pool.spares.retire(bundlePath)]);
      // Calls of an ended run are refused before they get here: the set guards starts already
      // under way, and need not hold every bundle ever retired.
      setTimeout(() => pool.retired.delete(bundlePath), idleStopMs).unref();
    },
    async close() {
      pool.closed = true;
      pool.capacity.close();
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
