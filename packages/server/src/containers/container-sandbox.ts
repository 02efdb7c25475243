import { type ChildProcess, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname } from "node:path";
import { InternalError } from "../shared/errors.js";
import type { NetworkMode } from "../shared/rules.js";
import { quote } from "../shared/rules.js";
import {
  type ContainerBackend,
  findExecutable,
  launchEnvironment,
  limited,
  nodeBinary,
  nodeCommand,
  spawnContainer,
} from "./container-backend.js";
import { assertSandboxCanEnter, closedFolderAbove, sandboxHostUid, sandboxUid } from "./container-folder.js";
import { attachNetwork, findNetworkHelper, networkFailure, networkFlags } from "./container-network.js";
import type { FileMount } from "./container-types.js";
import { childrenOf, descendantsOf, innermostPid } from "./process-tree.js";
import { mountFlags, sandboxFolder } from "./sandbox-mounts.js";

/** Everything a sandbox is made of but the command it runs. */
interface SandboxOptions {
  /** The container folder shown at `/lockbox`, if any. */
  folder?: string | undefined;
  network: NetworkMode;
  tmpMb: number;
  /** The function's `files`, bound read-only at their paths. */
  files?: readonly FileMount[] | undefined;
}

// The file descriptors of the network handshake (container-network.ts): after stdin, stdout,
// stderr and the IPC channel.
const networkFds = { info: 4, block: 5 };

/** The bubblewrap flags of a sandbox. */
function sandboxFlags(options: SandboxOptions): string[] {
  // biome-ignore format: the flags read as pairs
  return [
    "--unshare-user", "--uid", `${sandboxUid}`, "--gid", `${sandboxUid}`,
    "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
    ...networkFlags(options.network, networkFds.info, networkFds.block),
    "--cap-drop", "ALL", "--die-with-parent", "--new-session", "--hostname", "lockbox",
    ...mountFlags(options.folder, options.tmpMb, options.files),
    "--remount-ro", "/",
  ];
}

/**
 * As root, bubblewrap would map the sandbox's uid to root outside: it would read every root-owned
 * file (the master key, the database, /etc/shadow). So bubblewrap itself runs as a user of its own.
 */
function hostUser(): { uid: number; gid: number } | Record<string, never> {
  return process.getuid?.() === 0 ? { uid: sandboxHostUid, gid: sandboxHostUid } : {};
}

/**
 * Starts `command` in a sandbox with `env` as its whole environment, and, for `outbound`, its
 * network once bubblewrap has made the namespaces. Throws when a needed helper is missing.
 */
export function spawnSandboxed(
  command: string[],
  env: Record<string, string>,
  options: SandboxOptions,
  bwrap = findExecutable("bwrap"),
): ChildProcess {
  if (!bwrap) throw new InternalError("The sandbox backend needs bubblewrap (bwrap), which is not installed");
  const slirp = options.network === "outbound" ? findNetworkHelper() : undefined;
  const user = hostUser();
  if (options.folder) assertSandboxCanEnter(options.folder);
  const child = spawnContainer([bwrap, ...sandboxFlags(options), ...command], env, {
    ...user,
    extraPipes: slirp ? 2 : 0,
  });
  if (slirp) attachNetwork(child, slirp, networkFds, user);
  return child;
}

/**
 * Why a sandbox cannot start here, or undefined when it can: bubblewrap's own message, or the
 * folder on the way to node that the sandbox's user cannot enter.
 */
export function sandboxProblem(bwrap = findExecutable("bwrap"), node = nodeBinary()): string | undefined {
  if (!bwrap || !existsSync(bwrap)) return "bubblewrap (bwrap) is not installed";
  // The sandbox's limits are rlimits set by prlimit; its processes are followed through this file.
  if (!findExecutable("prlimit"))
    return "prlimit (util-linux), which sets the sandbox's limits, is not installed";
  if (!existsSync(`/proc/self/task/${process.pid}/children`)) {
    return "this kernel has no /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN), which the sandbox needs to follow a container's processes";
  }
  if (process.getuid?.() === 0) {
    const closed = closedFolderAbove(dirname(node));
    if (closed)
      return `the sandbox runs as uid ${sandboxHostUid} on the host, which cannot enter ${quote(closed)} to reach node (${node})`;
  }
  const command = [bwrap, ...sandboxFlags({ network: "none", tmpMb: 1 }), ...limited([node, "-e", "0"], 1)];
  const [file = "", ...args] = command;
  const probe = spawnSync(file, args, { env: {}, encoding: "utf8", timeout: 10_000, ...hostUser() });
  if (probe.status === 0) return undefined;
  const said = (probe.stderr ?? "").trim().split("\n").pop();
  return `bubblewrap cannot start a sandbox here${said ? `: ${said}` : probe.error ? `: ${probe.error.message}` : ""}`;
}

const onlyOwn = (entry: string) => !/^\d+$/.test(entry) || entry === "1" || entry === "2";

/**
 * Every process below bubblewrap but its init (pid 1 of the sandbox's pid namespace, which every
 * orphan joins) and the container's node (pid 2, which prlimit became).
 */
function sandboxStrays(bwrap: number): number[] {
  const [init] = childrenOf(bwrap);
  if (init === undefined) return [];
  try {
    // The namespace's own /proc, through its init: one listing says whether anything else runs.
    if (readdirSync(`/proc/${init}/root/proc`).every(onlyOwn)) return [];
  } catch {} // not ours to look into: walk the tree
  const node = childrenOf(init).find((pid) => innermostPid(pid) === 2);
  return descendantsOf(bwrap).filter((pid) => pid !== init && pid !== node);
}

/** The `sandbox` backend: namespaces of its own, `nobody` inside, an allow-list of the host read-only. */
export function createSandboxBackend(): ContainerBackend {
  const bwrap = findExecutable("bwrap");
  const prlimit = findExecutable("prlimit");
  return {
    name: "sandbox",
    strays: sandboxStrays,
    failure: networkFailure,
    spawn(launch) {
      // bubblewrap adds PWD (and overrides a secret named PWD): drop it unless a secret gave one.
      // A container waiting for its secrets decides when they come (container-main.ts).
      const extra = launch.env && !("PWD" in launch.env) ? ["--unset-pwd"] : [];
      const command = nodeCommand(sandboxFolder, launch, prlimit, extra);
      const folder = dirname(launch.bundlePath);
      // bubblewrap passes its environment on unchanged (plus PWD): no --setenv, values stay off argv.
      return spawnSandboxed(command, launchEnvironment(launch), { ...launch, folder }, bwrap);
    },
  };
}
