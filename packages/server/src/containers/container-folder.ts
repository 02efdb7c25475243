import { existsSync, statSync } from "node:fs";
import { chmod, copyFile, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InternalError } from "../shared/errors.js";
import { quote } from "../shared/rules.js";

/** The unprivileged user a sandboxed function runs as, inside the sandbox: `nobody`. */
export const sandboxUid = 65534;

/**
 * The user a sandbox runs as on the host when Lockbox runs as root: one that no account has, not
 * even `nobody`, so that no host process may read or trace a container, and the sandbox opens host
 * files with the rights of "others".
 */
export const sandboxHostUid = 2_147_418_112;

// The bootstrap as one file (scripts/bundle-sdk.mjs builds it), from src/containers under Vitest
// and dist/containers alike: tests need the build first (`npm test` does it).
const runtimePath = fileURLToPath(new URL("../../dist/containers/container-runtime.mjs", import.meta.url));

/** The files of a container folder, relative to it. */
export const containerFiles = {
  bundle: "app.mjs",
  bootstrap: "container-main.mjs",
  passwd: "etc/passwd",
  group: "etc/group",
  resolvConf: "etc/resolv.conf",
} as const;

// The sandbox's user database and resolver: only what a function needs, nothing of the host's
// users. 10.0.2.3 is the DNS forwarder of the user-mode network (container-network.ts).
const etcFiles = {
  [containerFiles.passwd]: `nobody:x:${sandboxUid}:${sandboxUid}:Lockbox function:/tmp:/usr/sbin/nologin\n`,
  [containerFiles.group]: `nogroup:x:${sandboxUid}:\n`,
  [containerFiles.resolvConf]: "nameserver 10.0.2.3\n",
};

/** The folder nearest the root, on the way to `dir` (itself included), that other users cannot enter. */
export function closedFolderAbove(dir: string): string | undefined {
  let closed: string | undefined;
  for (let folder = dir; ; folder = dirname(folder)) {
    if ((statSync(folder).mode & 0o001) === 0) closed = folder;
    if (folder === dirname(folder)) return closed;
  }
}

function bootstrapSource(): string {
  if (!existsSync(runtimePath)) {
    throw new InternalError(`${runtimePath} is missing: build Lockbox first (npm run build)`);
  }
  return runtimePath;
}

export interface ContainerFolderOptions {
  /** The user's module, bundled into one ESM file. */
  code: string;
  /** The SDK's container build (one file), imported by the bundle as `lockbox`. */
  sdkFile?: string | undefined;
}

/**
 * Writes everything a container runs into `dir`: the bundle, the bootstrap, the SDK it imports, and
 * the sandbox's `/etc` files. The sandbox shows this folder and nothing of the installation, so a
 * function runs wherever Lockbox lives; code only, readable by the sandbox's user, never a value.
 * Returns the bundle's path.
 * @example const bundlePath = await writeContainerFolder(join(dir, "container"), { code, sdkFile });
 */
export async function writeContainerFolder(dir: string, options: ContainerFolderOptions): Promise<string> {
  const sdk = join("node_modules", "lockbox");
  const manifest = { name: "lockbox", type: "module", exports: "./index.js" };
  const texts: Record<string, string> = { [containerFiles.bundle]: options.code, ...etcFiles };
  const copies: Record<string, string> = { [containerFiles.bootstrap]: bootstrapSource() };
  if (options.sdkFile) {
    texts[join(sdk, "package.json")] = JSON.stringify(manifest);
    copies[join(sdk, "index.js")] = options.sdkFile;
  }
  const files = [...Object.keys(texts), ...Object.keys(copies)];
  const within = ["etc", ...(options.sdkFile ? ["node_modules", sdk] : [])];
  const folders = [dir, ...within.map((folder) => join(dir, folder))];
  for (const folder of folders) await mkdir(folder, { recursive: true });
  await Promise.all([
    ...Object.entries(texts).map(([file, text]) => writeFile(join(dir, file), text)),
    ...Object.entries(copies).map(([file, source]) => copyFile(source, join(dir, file))),
  ]);
  // Whatever the umask: the sandbox's user reads every file and enters every folder.
  await Promise.all([
    ...folders.map((folder) => chmod(folder, 0o755)),
    ...files.map((file) => chmod(join(dir, file), 0o644)),
  ]);
  return join(dir, containerFiles.bundle);
}

/**
 * Throws unless the sandbox's user can reach the container folder: as root, bubblewrap runs as
 * that user and opens the folder with its rights.
 */
export function assertSandboxCanEnter(folder: string): void {
  const closed = process.getuid?.() === 0 ? closedFolderAbove(dirname(folder)) : undefined;
  if (closed) {
    throw new InternalError(
      `The sandbox runs as uid ${sandboxHostUid} on the host, which cannot enter ${quote(closed)}: write the bundle under a folder others may enter (TMPDIR)`,
    );
  }
}
