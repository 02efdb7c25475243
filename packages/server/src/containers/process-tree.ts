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

/** The pid that `pid` has in its own, innermost pid namespace (from NSpid), or undefined once it is gone. */
export function innermostPid(pid: number): number | undefined {
  try {
    const line = /^NSpid:\s+(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, "latin1"))?.[1];
    return line === undefined ? undefined : Number(line.trim().split(/\s+/).pop());
  } catch {
    return undefined;
  }
}
