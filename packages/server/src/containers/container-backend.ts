import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { accessSync, constants, openSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { NetworkMode } from "../shared/rules.js";
import { containerFiles } from "./container-folder.js";
import type { ContainerBackendName, FileMount } from "./container-types.js";

/**
 * A container to start for a bundle, with its secrets in its environment from the start; or,
 * without `env`, one started ahead of need that waits for them over IPC (see container-spares.ts).
 */
export interface ContainerLaunch {
  /** The bundle in its container folder (container-folder.ts). */
  bundlePath: string;
  env?: Record<string, string> | undefined;
  network: NetworkMode;
  tmpMb: number;
  files?: readonly FileMount[] | undefined;
}

/** One way of starting a container: a process running the bootstrap on a bundle. */
export interface ContainerBackend {
  readonly name: ContainerBackendName;
  spawn(launch: ContainerLaunch): ChildProcess;
  /** The processes below a container's own, from its first (`spawn`'s child): those the function started. */
  strays(pid: number): number[];
  /** Why the backend itself stopped the container `child`, if it did (its network failed, say). */
  failure(child: ChildProcess): string | undefined;
}

/** Memory limit of each process of a container, and of all of them together, in MiB (container-watch.ts). */
export const memoryLimitMb = 512;

/** Processes (threads count too) a container may run at once. */
const processLimit = 256;

/** The node binary itself, links resolved: what a container runs, and what the sandbox mounts. */
export const nodeBinary = (): string => realpathSync(process.execPath);

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
 * `command` under `prlimit` when it exists: memory (RLIMIT_DATA), file size, open files and
 * processes are bounded (root on the host is exempt from the process limit; the sandbox's user is
 * not). Memory is bounded by rlimit rather than `--max-old-space-size`: that V8 flag makes node
 * skip its startup snapshot, which costs about 40 ms of cold start.
 */
export function limited(command: string[], tmpMb: number, prlimit = findExecutable("prlimit")): string[] {
  const mib = 1024 * 1024;
  // biome-ignore format: one flag a limit
  const limits = [
    `--data=${memoryLimitMb * mib}`, `--fsize=${tmpMb * mib}`, "--nofile=1024", `--nproc=${processLimit}`,
  ];
  return prlimit ? [prlimit, ...limits, "--", ...command] : command;
}

/**
 * `node BOOTSTRAP BUNDLE`, limited, with the container folder where the container sees it; a
 * launch without `env` waits for it.
 */
export function nodeCommand(
  folder: string,
  launch: ContainerLaunch,
  prlimit: string | undefined,
  extra: string[] = [],
): string[] {
  const node = [nodeBinary(), join(folder, containerFiles.bootstrap), join(folder, containerFiles.bundle)];
  return [...limited(node, launch.tmpMb, prlimit), ...extra, ...(launch.env ? [] : ["--await-environment"])];
}

/** The environment a launch starts with: the base, plus its secrets when it has them. */
export function launchEnvironment(launch: ContainerLaunch): Record<string, string> {
  return { ...baseEnvironment(), ...launch.env };
}

type Stdio = "pipe" | "ignore" | number;

const closeOnExec = 0o2000000;
let inherited: number[] | undefined;
let devNull: number | undefined;

// Descriptors this process was given without close-on-exec (a parent's pipe, a test runner's
// channel) would pass into every child, through a sandbox's walls. Found once: a process is given
// them as it starts.
function inheritedDescriptors(): number[] {
  inherited ??= readdirSync("/proc/self/fdinfo")
    .map(Number)
    .filter((fd) => {
      if (fd < 3) return false;
      try {
        const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "latin1"))?.[1];
        return flags !== undefined && (Number.parseInt(flags, 8) & closeOnExec) === 0;
      } catch {
        return false; // closed meanwhile (the listing's own descriptor)
      }
    });
  return inherited;
}

/** `stdio`, with /dev/null over every descriptor this process inherited, so that no child gets one. */
export function withoutInherited(stdio: Stdio[]): Stdio[] {
  const leaking = inheritedDescriptors().filter((fd) => fd >= stdio.length);
  if (leaking.length === 0) return stdio;
  devNull ??= openSync("/dev/null", "r+");
  const covered = [...stdio];
  for (const fd of leaking) {
    while (covered.length < fd) covered.push("ignore");
    covered[fd] = devNull;
  }
  return covered;
}

/**
 * Spawns a container process: its own process group, `env` only, and its channel to the host on
 * fd 3 (container-channel.ts), where call data crosses as payloads the host never decodes.
 */
export function spawnContainer(
  command: string[],
  env: Record<string, string>,
  options: SpawnOptions & { extraPipes?: number } = {},
): ChildProcess {
  const [file = "", ...args] = command;
  const { extraPipes = 0, ...spawnOptions } = options;
  // Secrets travel in `env` only: argv is readable by every process through /proc.
  return spawn(file, args, {
    ...spawnOptions,
    env,
    stdio: withoutInherited(["ignore", "pipe", "pipe", "pipe", ...Array<Stdio>(extraPipes).fill("pipe")]),
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
