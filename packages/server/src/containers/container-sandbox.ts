import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidError } from "../shared/errors.js";
import { quote } from "../shared/rules.js";
import {
  baseEnvironment,
  type ContainerBackend,
  containerMain,
  findExecutable,
  launchEnvironment,
  nodeCommand,
  spawnContainer,
} from "./container-backend.js";

/** The unprivileged user the sandbox runs as, inside and (when we are root) outside. */
export const sandboxUid = 65534;

/** Whether every folder from the root down to `dir` lets other users through. */
function othersCanEnter(dir: string): boolean {
  for (let folder = dir; ; folder = dirname(folder)) {
    if ((statSync(folder).mode & 0o001) === 0) return false;
    if (folder === dirname(folder)) return true;
  }
}

// Where credentials usually live: hidden from functions along with the Lockbox data folder.
const credentialFolders = [".ssh", ".aws", ".gnupg", ".docker", ".kube", ".config/gcloud"];
const credentialFiles = [".netrc", ".npmrc", ".git-credentials", ".pgpass"];

/**
 * The read-only root shows the host's files; as root the sandbox's uid cannot open the private
 * ones, but as another user it is that user: hide the data folder (master key, database) and
 * the usual credential files, with an empty tmpfs over a folder and /dev/null over a file.
 */
function hidingFlags(hiddenPaths: readonly string[]): string[] {
  const home = homedir();
  // Only what the sandbox's user could reach needs hiding, and only that can be mounted over. As
  // root that user is uid 65534, whom /root is closed to; otherwise it is the caller.
  const asRoot = process.getuid?.() === 0;
  const reachable = (path: string) => existsSync(path) && (!asRoot || othersCanEnter(dirname(path)));
  const candidates = [...hiddenPaths, ...credentialFolders.map((folder) => join(home, folder))];
  const folders = candidates.filter((path) => reachable(path) && statSync(path).isDirectory());
  const files = credentialFiles.map((file) => join(home, file)).filter(reachable);
  return [
    ...folders.flatMap((folder) => ["--tmpfs", folder]),
    ...files.flatMap((file) => ["--ro-bind", "/dev/null", file]),
  ];
}

/** The folder holding the `node_modules` that this package was installed in (the repository, or the user's project). */
function installRoot(): string {
  const serverPackage = realpathSync(fileURLToPath(new URL("../../", import.meta.url)));
  for (let dir = serverPackage; dir !== dirname(dir); dir = dirname(dir)) {
    if (basename(dir) !== "node_modules" && existsSync(join(dir, "node_modules"))) return dir;
  }
  return serverPackage;
}

/**
 * What a container runs lives outside the sandbox's /tmp: node, the bootstrap, the SDK and its
 * dependencies. When any of it sits under the host's /tmp (a checkout there), the tmpfs would hide
 * it: show it again, read-only.
 */
function codeFlags(): string[] {
  const folders = [installRoot(), dirname(dirname(realpathSync(process.execPath)))];
  return [...new Set(folders)]
    .filter((folder) => folder.startsWith("/tmp/"))
    .flatMap((folder) => ["--ro-bind", folder, folder]);
}

/** The bubblewrap flags of every container (the bench starts bare node with them too). */
export function sandboxFlags(bundleDir: string | undefined, hiddenPaths: readonly string[] = []): string[] {
  // biome-ignore format: the flags read as pairs
  return [
    "--unshare-user", "--uid", `${sandboxUid}`, "--gid", `${sandboxUid}`,
    "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--cap-drop", "ALL",
    "--die-with-parent", "--new-session",
    "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
    ...hidingFlags(hiddenPaths),
    ...codeFlags(),
    // The bundle lives under the host's /tmp, which the tmpfs hides: bind it after.
    ...(bundleDir ? ["--ro-bind", bundleDir, bundleDir] : []),
    "--chdir", "/tmp", "--hostname", "lockbox",
  ];
}

/**
 * As root, bubblewrap maps the sandbox's uid to root outside: it would read every root-owned
 * file (the master key, the database, /etc/shadow). So bubblewrap itself runs as uid 65534.
 */
export function hostUser(): { uid: number; gid: number } | Record<string, never> {
  return process.getuid?.() === 0 ? { uid: sandboxUid, gid: sandboxUid } : {};
}

// The bundle (code, never values) must be readable by that user: its folder searchable, the
// file readable. Bundles from mkdtemp are 0700, so add just those bits; the folders above must
// already let others through.
function shareBundle(bundlePath: string): void {
  const grant = (path: string, bits: number) => {
    const { mode } = statSync(path);
    if ((mode & bits) !== bits) chmodSync(path, mode | bits);
  };
  grant(bundlePath, 0o004);
  grant(dirname(bundlePath), 0o001);
  for (let dir = dirname(dirname(bundlePath)); dir !== dirname(dir); dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new InvalidError(
        `The sandbox runs as uid ${sandboxUid}, which cannot enter ${quote(dir)}: write the bundle under a folder others may enter`,
      );
    }
  }
}

/** Whether bubblewrap can make its namespaces here, as the sandbox will use it. */
export function sandboxWorks(bwrap = findExecutable("bwrap")): boolean {
  if (!bwrap) return false;
  // Run node on the bootstrap, as a container would: uid 65534 must reach both.
  const probe = spawnSync(bwrap, [...sandboxFlags(undefined), process.execPath, "--check", containerMain()], {
    env: baseEnvironment(),
    stdio: "ignore",
    timeout: 10_000,
    ...hostUser(),
  });
  return probe.status === 0;
}

/** The `sandbox` backend: bubblewrap namespaces, uid 65534, read-only root, private /tmp. */
export function createSandboxBackend(hiddenPaths: readonly string[] = []): ContainerBackend {
  const bwrap = findExecutable("bwrap");
  if (!bwrap) throw new InvalidError("The sandbox backend needs bubblewrap (bwrap), which is not installed");
  const prlimit = findExecutable("prlimit");
  const user = hostUser();
  return {
    name: "sandbox",
    spawn(launch) {
      if ("uid" in user) shareBundle(launch.bundlePath);
      // bubblewrap adds PWD (and overrides a secret named PWD): drop it unless a secret gave one.
      // A container waiting for its secrets decides when they come (container-main.ts).
      const extra = launch.env && !("PWD" in launch.env) ? ["--unset-pwd"] : [];
      const command = [
        bwrap,
        ...sandboxFlags(dirname(launch.bundlePath), hiddenPaths),
        ...nodeCommand(launch, prlimit, extra),
      ];
      // bubblewrap passes its environment on unchanged (plus PWD): no --setenv, values stay off argv.
      return spawnContainer(command, launchEnvironment(launch), user);
    },
  };
}
