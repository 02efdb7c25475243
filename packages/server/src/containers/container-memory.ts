import { readFileSync } from "node:fs";
import { descendantsOf } from "./process-tree.js";

/** How often a running call's memory is measured. */
export const memoryCheckMs = 200;

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
  return [pid, ...descendantsOf(pid)].reduce((total, each) => total + anonymousBytes(each), 0);
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
