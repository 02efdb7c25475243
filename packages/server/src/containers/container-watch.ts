import { readFileSync } from "node:fs";
import { descendantsOf } from "./process-tree.js";

/** How often a container's processes are looked at, for its whole life. */
const watchIntervalMs = 250;

const clearRounds = 20;
const clearPauseMs = 5;

// Private memory (heap, stacks) and shared memory (MAP_SHARED, mapped tmpfs files), which no
// rlimit bounds; shared libraries and node's own code are file-backed and not counted.
const counted = [/^RssAnon:\s+(\d+) kB$/m, /^RssShmem:\s+(\d+) kB$/m];

function memoryBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "latin1");
    return counted.reduce((total, field) => total + Number(field.exec(status)?.[1] ?? 0) * 1024, 0);
  } catch {
    return 0; // it exited meanwhile
  }
}

/** The memory of `pid` and every process below it, in bytes. */
function treeMemoryBytes(pid: number): number {
  return [pid, ...descendantsOf(pid)].reduce((total, each) => total + memoryBytes(each), 0);
}

interface WatchOptions {
  /** The processes the function started, below the container's own (its backend knows which). */
  strays(pid: number): number[];
  limitBytes: number;
  /** Called once when the container's processes use more than `limitBytes` together. */
  exceeded(): void;
  /** Whether a call runs: between calls, the function's processes are killed as soon as seen. */
  busy(): boolean;
}

/**
 * Watches the container whose first process is `pid`, from the host, where nothing in the
 * container can stop it: every `watchIntervalMs` its processes' memory is added up (without
 * cgroups, the only bound on a container as a whole), and between calls any process but the
 * container's own is killed. `clear` kills them until none is left (when a call ends); `stop`
 * ends the watch.
 */
export function watchContainer(pid: number, options: WatchOptions): { clear(): Promise<void>; stop(): void } {
  const tidy = () => {
    const strays = options.strays(pid);
    for (const stray of strays) {
      try {
        process.kill(stray, "SIGKILL");
      } catch {} // gone meanwhile
    }
    return strays.length;
  };
  // A process may be forking as it is killed: its child shows up only after the listing. Kill
  // until a listing finds nothing (the killed ones gone too), for a few rounds at most.
  const clear = async () => {
    for (let round = 0; round < clearRounds && tidy() > 0; round++)
      await new Promise((resolve) => setTimeout(resolve, clearPauseMs));
  };
  const timer = setInterval(() => {
    if (treeMemoryBytes(pid) > options.limitBytes) {
      clearInterval(timer);
      options.exceeded();
    } else if (!options.busy()) {
      tidy();
    }
  }, watchIntervalMs);
  timer.unref();
  return { clear, stop: () => clearInterval(timer) };
}
