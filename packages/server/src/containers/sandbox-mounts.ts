import { existsSync, lstatSync, readlinkSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { InvalidError } from "../shared/errors.js";
import { containerPathWithin } from "../shared/file-rules.js";
import { quote } from "../shared/rules.js";
import { nodeBinary } from "./container-backend.js";
import { containerFiles } from "./container-folder.js";
import type { FileMount } from "./container-types.js";

/** Where a container sees its container folder (the bundle, the bootstrap, the SDK). */
export const sandboxFolder = "/lockbox";

// What node needs from /etc to start, resolve names and make TLS connections; nothing else of the
// host's configuration (users, credentials, services) is shown.
const etcFiles = [
  "ssl",
  "ca-certificates",
  "hosts",
  "nsswitch.conf",
  "host.conf",
  "gai.conf",
  "localtime",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "alternatives",
];

// Merged-/usr systems make these links into /usr; older ones have them as folders.
const rootFolders = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

// A few devices and no devpts: bubblewrap's `--dev` would nest a second user namespace, which
// slirp4netns cannot join to set up the network.
const devices = ["null", "zero", "full", "random", "urandom"];

function systemFlags(): string[] {
  const flags = ["--ro-bind", "/usr", "/usr"];
  for (const folder of rootFolders) {
    if (!existsSync(folder)) continue;
    if (lstatSync(folder).isSymbolicLink()) flags.push("--symlink", readlinkSync(folder), folder);
    else flags.push("--ro-bind", folder, folder);
  }
  // node, when it is not part of /usr (nvm, /opt): the binary alone, never the folder around it,
  // which may be a home folder.
  const node = nodeBinary();
  if (!node.startsWith("/usr/")) flags.push("--ro-bind", node, node);
  // Resolved, so that a link (/etc/localtime → /usr/share/zoneinfo/…) mounts its file.
  for (const file of etcFiles.map((name) => join("/etc", name)).filter((path) => existsSync(path))) {
    flags.push("--ro-bind", realpathSync(file), file);
  }
  return flags;
}

// biome-ignore format: the flags read as pairs
const deviceFlags = [
  "--tmpfs", "/dev",
  ...devices.flatMap((name) => ["--dev-bind", `/dev/${name}`, `/dev/${name}`]),
  "--symlink", "/proc/self/fd", "/dev/fd",
  "--symlink", "/proc/self/fd/0", "/dev/stdin",
  "--symlink", "/proc/self/fd/1", "/dev/stdout",
  "--symlink", "/proc/self/fd/2", "/dev/stderr",
  "--remount-ro", "/dev",
];

let system: string[] | undefined;

/**
 * A function's `files`, each bound read-only at its path (bubblewrap makes the folders above it in
 * the sandbox's own root, which is then made read-only too). The shared rules keep them off the
 * system folders; node, when it lies elsewhere (/opt), is checked here.
 */
function fileFlags(files: readonly FileMount[]): string[] {
  const node = nodeBinary();
  return files.flatMap(({ containerPath, hostPath }) => {
    if (containerPathWithin(node, containerPath) || containerPathWithin(containerPath, node))
      throw new InvalidError(
        `The \`files\` path ${quote(containerPath)} would cover node (${node}), which the container runs: put files elsewhere`,
      );
    return ["--ro-bind", hostPath, containerPath];
  });
}

/**
 * What a container's filesystem holds, as bubblewrap flags: an allow-list of the host (system
 * folders, node, a few /etc files) read-only, generated `passwd`, `group` and `resolv.conf`, the
 * container folder at `/lockbox` when there is one, the function's `files` read-only where it reads
 * them, a private `/tmp` of `tmpMb` MiB (also HOME and the working directory), and nothing else:
 * no home folder, no host /tmp, /run or /var, no Lockbox data folder.
 */
export function mountFlags(
  folder: string | undefined,
  tmpMb: number,
  files: readonly FileMount[] = [],
): string[] {
  system ??= systemFlags();
  const generated = folder
    ? [containerFiles.passwd, containerFiles.group, containerFiles.resolvConf].flatMap((file) => [
        "--ro-bind",
        join(folder, file),
        `/${file}`,
      ])
    : [];
  // biome-ignore format: the flags read as pairs
  return [
    ...system, ...generated, ...deviceFlags, "--proc", "/proc",
    "--size", `${tmpMb * 1024 * 1024}`, "--tmpfs", "/tmp",
    ...(folder ? ["--ro-bind", folder, sandboxFolder] : []),
    ...fileFlags(files),
    "--chdir", "/tmp",
  ];
}
