import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built CLI (`npx tsc -b packages/server packages/lockbox` makes it). */
export const cliPath = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** Variables on top of a clean environment (PATH and HOME only). */
  env?: Record<string, string>;
  /** Written to standard input, which is then closed; without it stdin is empty. */
  stdin?: string;
  timeoutMs?: number;
  /** The working directory (default: the test runner's). */
  cwd?: string;
  /** Called with the process id once spawned: to look at the process while it runs. */
  onSpawn?: (pid: number) => void;
  /** Called with all of standard output so far, each time more arrives. */
  onStdout?: (stdout: string) => void;
}

/** A clean environment: nothing of the test runner's LOCKBOX_* or anything else leaks in. */
export function cleanEnv(env: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir(), ...env };
}

/** Runs `command` to completion and collects its output; kills it after `timeoutMs`. */
export function runProcess(command: string, args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const child = spawn(command, args, { env: cleanEnv(options.env), stdio: "pipe", cwd: options.cwd });
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => {
    stdout.push(chunk);
    options.onStdout?.(Buffer.concat(stdout).toString());
  });
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  child.stdin.end(options.stdin ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
    });
  });
}

function builtCli(): string {
  if (!existsSync(cliPath))
    throw new Error(`${cliPath} is missing: build first (npx tsc -b packages/server packages/lockbox)`);
  return cliPath;
}

/** Runs `lockbox ARGS...` as a process. */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [builtCli(), ...args], options);
}

/** `word` quoted for `sh -c`. */
export const shellQuote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;

/** Runs `lockbox ARGS...` on a pseudo-terminal (util-linux `script`), typing `stdin` into it. */
export function runCliInTerminal(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const command = [process.execPath, builtCli(), ...args].map(shellQuote).join(" ");
  return runProcess("script", ["-qec", command, "/dev/null"], options);
}

/** A fresh temporary folder and a function that removes it. */
export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
