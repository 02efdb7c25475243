import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InternalError } from "../shared/errors.js";
import type { ContainerBackendName } from "./container-types.js";

/**
 * A container to start for a bundle, with its secrets in its environment from the start; or,
 * without `env`, one started ahead of need that waits for them over IPC (see container-spares.ts).
 */
export interface ContainerLaunch {
  bundlePath: string;
  env?: Record<string, string> | undefined;
}

/** One way of starting a container: a process running `container-main.js` on a bundle. */
export interface ContainerBackend {
  readonly name: ContainerBackendName;
  spawn(launch: ContainerLaunch): ChildProcess;
}

/** Memory limit of a container, in MiB: its private writable memory (there are no cgroups here). */
export const memoryLimitMb = 512;

// The same path from src/containers (under Vitest) and dist/containers: the container always
// runs the compiled bootstrap, so tests need `tsc -b packages/server` first (`npm test` does it).
const containerMainPath = fileURLToPath(new URL("../../dist/containers/container-main.js", import.meta.url));

/** The compiled bootstrap, or an error saying how to build it. */
export function containerMain(): string {
  if (!existsSync(containerMainPath)) {
    throw new InternalError(
      `${containerMainPath} is missing: build @lockbox/server (npx tsc -b packages/server)`,
    );
  }
  return containerMainPath;
}

/** The environment every container starts with, before its secrets. */
export function baseEnvironment(): Record<string, string> {
  return { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/tmp", LANG: process.env.LANG || "C.UTF-8" };
}

/** The full path of an executable found on the host's PATH or in the usual folders. */
export function findExecutable(name: string): string | undefined {
  const folders = [...(process.env.PATH ?? "").split(delimiter), "/usr/local/bin", "/usr/bin", "/bin"];
  for (const folder of folders.filter(Boolean)) {
    try {
      accessSync(join(folder, name), constants.X_OK);
      return join(folder, name);
    } catch {}
  }
  return undefined;
}

/**
 * `command` under `prlimit` when it exists: memory (RLIMIT_DATA), open files and processes are
 * bounded, best effort (root on the host is exempt from the process limit; the sandbox is not).
 * Memory is bounded by rlimit rather than `--max-old-space-size`: that V8 flag makes node skip
 * its startup snapshot, which costs about 40 ms of cold start.
 */
export function limited(command: string[], prlimit = findExecutable("prlimit")): string[] {
  const memory = `--data=${memoryLimitMb * 1024 * 1024}`;
  return prlimit ? [prlimit, memory, "--nofile=1024", "--nproc=512", "--", ...command] : command;
}

/**
 * `node container-main.js BUNDLE`, limited; a launch without `env` waits for it. The
 * `lockbox-container` condition picks the SDK's single-file build (package.json "exports"): each
 * module file costs a cold start about 1.5 ms.
 */
export function nodeCommand(
  launch: ContainerLaunch,
  prlimit: string | undefined,
  extra: string[] = [],
): string[] {
  const node = [process.execPath, "--conditions=lockbox-container", containerMain(), launch.bundlePath];
  return [...limited(node, prlimit), ...extra, ...(launch.env ? [] : ["--await-environment"])];
}

/** The environment a launch starts with: the base, plus its secrets when it has them. */
export function launchEnvironment(launch: ContainerLaunch): Record<string, string> {
  return { ...baseEnvironment(), ...launch.env };
}

/** Spawns a container process: its own process group, IPC with structured clone, and `env` only. */
export function spawnContainer(
  command: string[],
  env: Record<string, string>,
  options: SpawnOptions = {},
): ChildProcess {
  const [file = "", ...args] = command;
  // Secrets travel in `env` only: argv is readable by every process through /proc.
  return spawn(file, args, {
    ...options,
    env,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "advanced",
    detached: true,
  });
}

/** Kills a container and everything in its process group. */
export function killContainer(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}
