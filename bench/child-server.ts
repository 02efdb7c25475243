// An HTTP server in a child process of its own, so that the load generator in this process
// does not share its event loop.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";

const listening = /listening on (http:\/\/\S+)/;
const startTimeoutMs = 30_000;
const stopTimeoutMs = 10_000;

/** A server started by `startChildServer`. */
export interface ChildServer {
  url: string;
  pid: number;
  /** The CPU time it has used so far, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
  /** Its last lines of stderr. */
  stderr(): string;
}

/** The last `maxChars` characters of everything `stream` writes (for error messages). */
function tail(stream: Readable, maxChars = 2000): () => string {
  let text = "";
  stream.setEncoding("utf8");
  // Reading to the end also keeps the pipe from filling up and blocking the child.
  stream.on("data", (chunk) => {
    text = (text + chunk).slice(-maxChars);
  });
  return () => text.trim();
}

/** CPU time (user and system) that process `pid` has used, in ms; Linux only (`/proc`). */
function cpuMs(pid: number): number {
  // Fields 14 and 15, counted after the command name, which may hold spaces; in clock ticks of 10 ms.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Spawns `node ...args` and waits for it to print "listening on URL"; returns the URL, its `pid`,
 * `cpuMs` (the CPU time it has used so far), `stop` and `stderr` (its last lines). `label` names
 * the server in errors.
 */
export function startChildServer(
  label: string,
  args: string[],
  { env = process.env }: { env?: NodeJS.ProcessEnv } = {},
): Promise<ChildServer> {
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const stderr = tail(child.stderr);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  };
  const url = new Promise<string>((resolve, reject) => {
    let stdout = "";
    let found = false;
    const timer = setTimeout(() => {
      reject(new Error(`${label} did not say where it listens within ${startTimeoutMs} ms: ${stderr()}`));
    }, startTimeoutMs);
    child.stdout.setEncoding("utf8");
    // Read to the end (the pipe must not fill up), but look only until the URL shows.
    child.stdout.on("data", (chunk) => {
      if (found) return;
      stdout += chunk;
      const match = listening.exec(stdout);
      if (!match) return;
      found = true;
      clearTimeout(timer);
      resolve(match[1] ?? "");
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${signal ?? code}) before listening: ${stderr()}`));
    });
  });
  return url.then(
    (address) => {
      const pid = child.pid ?? 0; // it printed, so it has one
      return { url: address, pid, cpuMs: () => cpuMs(pid), stop, stderr };
    },
    async (error) => {
      await stop();
      throw error;
    },
  );
}
