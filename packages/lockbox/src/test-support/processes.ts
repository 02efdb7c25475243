import { readdirSync, readFileSync } from "node:fs";

/** A live process as /proc shows it to root: its argv (the title) and its environment, raw. */
export interface ProcessView {
  pid: number;
  ppid: number;
  /** `/proc/PID/cmdline`: the arguments, NUL-separated (or the title that replaced them). */
  cmdline: Buffer;
  /** `/proc/PID/environ`: the environment the process started with. */
  environ: Buffer;
}

function readProc(pid: string, file: string): Buffer | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`);
  } catch {
    return undefined; // gone meanwhile, or a kernel thread
  }
}

/** Every live process of the host (zombies left out: their argv is gone). */
export function liveProcesses(): ProcessView[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      const stat = readProc(pid, "stat")?.toString();
      if (!stat) return [];
      // After "(comm) ": the state, then the parent's pid.
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z") return [];
      const empty = Buffer.alloc(0);
      return [
        {
          pid: Number(pid),
          ppid: Number(ppid),
          cmdline: readProc(pid, "cmdline") ?? empty,
          environ: readProc(pid, "environ") ?? empty,
        },
      ];
    });
}

/** The argv of a process as words (its title first). */
export const argvOf = (view: ProcessView): string[] => view.cmdline.toString().split("\0").filter(Boolean);

/** The pids of `root` and of every process below it. */
export function processTree(processes: readonly ProcessView[], root: number): Set<number> {
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const view of processes) {
      if (!tree.has(view.pid) && tree.has(view.ppid)) {
        tree.add(view.pid);
        grew = true;
      }
    }
  }
  return tree;
}
