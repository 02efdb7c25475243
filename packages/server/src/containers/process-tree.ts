import { readdirSync, readFileSync } from "node:fs";

/** The children of `pid`, from /proc/PID/task/TID/children (empty once it is gone). */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) => {
      const listed = readFileSync(`/proc/${pid}/task/${task}/children`, "latin1").trim();
      return listed ? listed.split(" ").map(Number) : [];
    });
  } catch {
    return []; // it exited meanwhile
  }
}

/** Every process below `pid`: its children, theirs, and so on. */
export function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  for (let queue = childrenOf(pid); queue.length > 0; ) {
    const next = queue.pop() as number;
    found.push(next);
    queue = queue.concat(childrenOf(next));
  }
  return found;
}
