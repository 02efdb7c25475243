import { readdirSync, readFileSync } from "node:fs";

/** How often a running call's memory is measured. */
export const memoryCheckMs = 200;

function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) => {
      const listed = readFileSync(`/proc/${pid}/task/${task}/children`, "latin1").trim();
      return listed ? listed.split(" ").map(Number) : [];
    });
  } catch {
    return []; // it exited meanwhile
  }
}

// Private memory only (heap, stacks): shared libraries and node's own code are counted once by
// the kernel, not once per process, and /tmp has its own bound.
function anonymousBytes(pid: number): number {
  try {
    const match = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The private resident memory of `pid` and every process below it, in bytes. */
export function treeMemoryBytes(pid: number): number {
  let total = 0;
  for (const queue = [pid]; queue.length > 0; ) {
    const next = queue.pop() as number;
    total += anonymousBytes(next);
    queue.push(...children(next));
  }
  return total;
}

/**
 * Measures the process tree of `pid` every `memoryCheckMs` and calls `exceeded` once its memory
 * passes `limitBytes`: without cgroups, the only bound on a container as a whole (rlimits bound
 * each process alone). Returns the function that stops watching.
 */
export function watchMemory(pid: number, limitBytes: number, exceeded: () => void): () => void {
  const timer = setInterval(() => {
    if (treeMemoryBytes(pid) <= limitBytes) return;
    clearInterval(timer);
    exceeded();
  }, memoryCheckMs);
  timer.unref();
  return () => clearInterval(timer);
}
