import { availableParallelism, totalmem } from "node:os";
import { InternalError, ResourceExhaustedError } from "../shared/errors.js";
import { memoryLimitMb } from "./container-backend.js";

/**
 * Containers a server runs at most by default: 4 per core (a warm container mostly waits, idle
 * or on I/O), and no more than fit in three quarters of the memory at each container's limit.
 */
export function defaultMaxContainers(cores = availableParallelism(), memoryBytes = totalmem()): number {
  const byMemory = Math.floor((memoryBytes * 0.75) / (memoryLimitMb * 1024 * 1024));
  return Math.max(1, Math.min(4 * cores, byMemory));
}

/** Calls that may wait for a container by default: 4 for each container. */
export const defaultMaxQueuedCalls = (maxContainers: number): number => 4 * maxContainers;

/** How many containers a pool runs, and how many calls may wait for one. */
interface CapacityLimits {
  /** Live containers at most (starting, busy or idle), all keys together. */
  maxContainers: number;
  /** Containers at most for one key. */
  maxPerKey: number;
  /** Calls waiting at most, all workspaces together; one workspace may fill half of it (rounded up). */
  maxQueuedCalls: number;
}

/** What a waiting call is given: a warm container of its key, or a place to start one in. */
export type Given<C> = { container: C } | { place: true };

interface Waiter<C> {
  workspace: string;
  key: string;
  give(given: Given<C>): void;
  fail(error: Error): void;
}

const closedError = () => new InternalError("The container pool is closed");

/**
 * The places of a pool's containers (one per live container) and the calls waiting for one.
 * A freed place goes to the waiting call whose workspace holds the fewest places (the longest
 * waiting first among equals), so a workspace that holds every place gives them up, one call
 * at a time, to another that waits. `stopIdle` stops the least recently used idle container
 * (of any key) and says whether there was one; its exit frees its place.
 */
export function createCapacity<C>(limits: CapacityLimits, stopIdle: () => boolean) {
  const held = new Map<string, number>();
  const perKey = new Map<string, number>();
  const waiters: Waiter<C>[] = [];
  const maxQueuedPerWorkspace = Math.ceil(limits.maxQueuedCalls / 2);
  let used = 0;
  let closed = false;

  const count = (map: Map<string, number>, name: string, by: number) => {
    const next = (map.get(name) ?? 0) + by;
    if (next === 0) map.delete(name);
    else map.set(name, next);
  };
  const keyHasRoom = (key: string) => (perKey.get(key) ?? 0) < limits.maxPerKey;
  const hasRoom = (key: string) => used < limits.maxContainers && keyHasRoom(key);
  const take = (workspace: string, key: string) => {
    used++;
    count(held, workspace, 1);
    count(perKey, key, 1);
  };
  const leave = (waiter: Waiter<C>) => {
    const at = waiters.indexOf(waiter);
    if (at >= 0) waiters.splice(at, 1);
  };
  // The waiter a place goes to: of the workspace holding the fewest, the first in line.
  const fairest = (candidates: Waiter<C>[]) =>
    candidates.reduce<Waiter<C> | undefined>(
      (best, waiter) =>
        best === undefined || (held.get(waiter.workspace) ?? 0) < (held.get(best.workspace) ?? 0)
          ? waiter
          : best,
      undefined,
    );

  function dispatch(): void {
    for (;;) {
      const next = fairest(waiters.filter((waiter) => hasRoom(waiter.key)));
      if (!next) return;
      leave(next);
      take(next.workspace, next.key);
      next.give({ place: true });
    }
  }

  function refuseWhenFull(workspace: string): void {
    const mine = waiters.filter((waiter) => waiter.workspace === workspace).length;
    if (waiters.length >= limits.maxQueuedCalls || mine >= maxQueuedPerWorkspace) {
      const most = limits.maxContainers === 1 ? "1 container" : `${limits.maxContainers} containers`;
      throw new ResourceExhaustedError(
        `The server runs ${most} at most, all in use, and too many calls wait for one: try again shortly`,
      );
    }
  }

  return {
    /**
     * A place for a new container of `key`, taken at once when there is room; otherwise the call
     * waits (an idle container of another key is stopped to make room, when there is one) for a
     * place or for a container of its key that another call releases. Throws
     * `ResourceExhaustedError` when the queue is full; an aborted `signal` leaves the queue.
     */
    async acquire(workspace: string, key: string, signal?: AbortSignal): Promise<Given<C>> {
      if (closed) throw closedError();
      signal?.throwIfAborted();
      if (hasRoom(key)) {
        take(workspace, key);
        return { place: true };
      }
      const stopped = keyHasRoom(key) && stopIdle();
      if (!stopped) refuseWhenFull(workspace);
      return new Promise<Given<C>>((resolve, reject) => {
        const aborted = () => {
          leave(waiter);
          reject(signal?.reason);
        };
        const settled = () => signal?.removeEventListener("abort", aborted);
        const waiter: Waiter<C> = {
          workspace,
          key,
          give: (given) => {
            settled();
            resolve(given);
          },
          fail: (error) => {
            settled();
            reject(error);
          },
        };
        waiters.push(waiter);
        signal?.addEventListener("abort", aborted, { once: true });
      });
    },

    /**
     * A call of `workspace` is done with a container of `key` that can take more. On a full pool
     * it is `stop`ped, to free its place, when a workspace that holds fewer places waits for one,
     * or when a call of another key waited longer than any of this key (or none of this key
     * waits); otherwise it is `given` to the first call waiting for its key, or kept `idle`.
     */
    release(workspace: string, key: string, container: C): "given" | "stop" | "idle" {
      const full = used >= limits.maxContainers;
      const mine = held.get(workspace) ?? 0;
      const placeWanted = waiters.filter((waiter) => waiter.key !== key && keyHasRoom(waiter.key));
      const same = waiters.find((waiter) => waiter.key === key);
      const first = placeWanted[0];
      const earlier = first !== undefined && (!same || waiters.indexOf(first) < waiters.indexOf(same));
      const poorer = placeWanted.some((waiter) => (held.get(waiter.workspace) ?? 0) + 1 < mine);
      if (full && (poorer || earlier)) return "stop";
      if (!same) return "idle";
      leave(same);
      same.give({ container });
      return "given";
    },

    /** The place of a container of `key` is free: it exited, or failed to start. */
    free(workspace: string, key: string): void {
      used--;
      count(held, workspace, -1);
      count(perKey, key, -1);
      dispatch();
    },

    /** Live containers and waiting calls, for tests and metrics. */
    stats: () => ({ containers: used, queued: waiters.length }),

    /** True when no other container may start now. */
    full: () => used >= limits.maxContainers,

    /** Fails every waiting call and refuses new ones. */
    close(): void {
      closed = true;
      for (const waiter of waiters.splice(0)) waiter.fail(closedError());
    },
  };
}

export type Capacity<C> = ReturnType<typeof createCapacity<C>>;
