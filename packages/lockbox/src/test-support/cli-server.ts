import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { cleanEnv, cliPath } from "./run-cli.js";

/** A `lockbox server` process on a free loopback port. */
export interface CliServer {
  url: string;
  /** Everything the server printed so far, stdout and stderr. */
  output(): string;
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
  /** Kills it with SIGKILL, as a crash would, and waits until it is gone. */
  kill(): Promise<void>;
}

function waitForUrl(child: ChildProcessWithoutNullStreams, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lockbox server did not start:\n${output()}`)), 20_000);
    child.stdout.on("data", () => {
      const match = /^Lockbox listening on (\S+)$/m.exec(output());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`lockbox server exited with ${code}:\n${output()}`));
    });
  });
}

/** Starts `lockbox server --port 0 ARGS...` with `env` on top of a clean environment. */
export async function startCliServer(env: Record<string, string>, args: string[] = []): Promise<CliServer> {
  const child = spawn(process.execPath, [cliPath, "server", "--port", "0", ...args], { env: cleanEnv(env) });
  let text = "";
  child.stdout.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    return exited;
  };
  const url = await waitForUrl(child, () => text);
  return {
    url,
    output: () => text,
    stop: () => signal("SIGTERM"),
    kill: async () => {
      await signal("SIGKILL");
    },
  };
}
