import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cleanEnv, cliPath, shellQuote } from "./run-cli.js";

/** How the server is run. */
export interface CliServerOptions {
  /** On a pseudo-terminal (util-linux `script`) instead of pipes; the output's CRLF read as LF. */
  terminal?: boolean;
}

/** A `lockbox server` process on a free loopback port. */
export interface CliServer {
  url: string;
  /** The server process's pid. */
  pid: number;
  /** Everything the server printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output, once printed; rejects if the server ends first. */
  waitForOutput(pattern: RegExp): Promise<RegExpExecArray>;
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
  /** Kills it with SIGKILL, as a crash would, and waits until it is gone. */
  kill(): Promise<void>;
}

const startTimeoutMs = 20_000;

function spawnServer(env: Record<string, string>, args: string[], options: CliServerOptions) {
  const argv = [process.execPath, cliPath, "server", "--port", "0", ...args];
  if (!options.terminal) return spawn(argv[0] as string, argv.slice(1), { env: cleanEnv(env) });
  // `exec`: the server replaces script's shell, so it is script's only child, to signal directly
  // (script itself answers SIGTERM by killing its child, no grace given).
  const command = `exec ${argv.map(shellQuote).join(" ")}`;
  return spawn("script", ["-qec", command, "/dev/null"], { env: cleanEnv(env) });
}

/** The server's own pid: script's child on a terminal, else the process spawned. */
function serverPid(pid: number, options: CliServerOptions): number {
  if (!options.terminal) return pid;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "latin1").trim();
  return Number(children.split(" ")[0]);
}

/** Starts `lockbox server --port 0 ARGS...` with `env` on top of a clean environment. */
export async function startCliServer(
  env: Record<string, string>,
  args: string[] = [],
  options: CliServerOptions = {},
): Promise<CliServer> {
  const child = spawnServer(env, args, options);
  let text = "";
  let ended = false;
  const checks = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += options.terminal ? chunk.toString().replace(/\r\n/g, "\n") : chunk.toString();
    for (const check of checks) check();
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  // "close", not "exit": by then all the output has been read.
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      ended = true;
      for (const check of checks) check();
      resolve(code);
    }),
  );
  const waitForOutput = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(text);
        if (match || ended) checks.delete(check);
        if (match) resolve(match);
        else if (ended) reject(new Error(`lockbox server ended before printing ${pattern}:\n${text}`));
      };
      checks.add(check);
      check();
    });
  let pid = child.pid ?? 0;
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, name);
    return exited;
  };

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`lockbox server did not start:\n${text}`)), startTimeoutMs);
  });
  try {
    const [, url = ""] = await Promise.race([waitForOutput(/^Lockbox listening on (\S+)$/m), timeout]);
    pid = serverPid(pid, options);
    return {
      url,
      pid,
      output: () => text,
      waitForOutput,
      stop: () => signal("SIGTERM"),
      kill: async () => {
        await signal("SIGKILL");
      },
    };
  } catch (error) {
    await signal("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
