import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FileMount } from "@lockbox/server/containers";
import { InternalError } from "@lockbox/server/shared";
import { materializeBundle } from "./bundle.js";
import type { DeployedFunction } from "./deploy-functions.js";
import { writeFileTree } from "./function-files.js";

/** A deploy written out for containers: its bundle, and each function's files as mounts. */
export interface DeployedBundle {
  bundlePath: string;
  /** By function name; a function without files has none. */
  files: ReadonlyMap<string, readonly FileMount[]>;
}

// Deployed code and files written out for containers, by SHA-256 of the code and of the files'
// list (which names every content by its hash): one folder per deployed version however many
// handles and calls use it. A folder stays until the process exits (a warm container of an older
// version may still need its files), so their number is that of the versions this process called.
const folders = new Map<string, Promise<DeployedBundle>>();
const written = new Set<string>();
let removesAtExit = false;

function removeAtExit(dir: string): void {
  written.add(dir);
  if (removesAtExit) return;
  removesAtExit = true;
  process.once("exit", () => {
    for (const folder of written) rmSync(folder, { recursive: true, force: true });
  });
}

async function writeDeployed(
  code: string,
  functions: readonly DeployedFunction[],
  contents: Readonly<Record<string, string>>,
): Promise<DeployedBundle> {
  const bundle = await materializeBundle(code);
  removeAtExit(bundle.dir);
  const files = new Map<string, FileMount[]>();
  for (const [at, fn] of functions.entries()) {
    if (!fn.files?.length) continue;
    const mounts = await writeFileTree(join(bundle.dir, `files-${at}`), fn.files, async (entry, target) => {
      const content = entry.sha256 === undefined ? undefined : contents[entry.sha256];
      if (content === undefined) throw new InternalError(`The deploy lacks the content of ${entry.path}`);
      await writeFile(target, Buffer.from(content, "base64"));
    });
    files.set(fn.name, mounts);
  }
  return { bundlePath: bundle.containerBundlePath, files }; // not the bundle: its code stays out of memory
}

/**
 * `code` written as a bundle a container can import, with the functions' files beside it; never
 * imported in this process.
 * @example const { bundlePath, files } = await deployedBundle(deployment.bundle, deployment.functions, deployment.files);
 */
export function deployedBundle(
  code: string,
  functions: readonly DeployedFunction[] = [],
  contents: Readonly<Record<string, string>> = {},
): Promise<DeployedBundle> {
  const hash = createHash("sha256")
    .update(code)
    .update("\0")
    .update(JSON.stringify(functions.map((fn) => fn.files ?? [])))
    .digest("hex");
  let folder = folders.get(hash);
  if (!folder) {
    folder = writeDeployed(code, functions, contents);
    folders.set(hash, folder);
    void folder.catch(() => folders.delete(hash)); // a failed write is tried again next call
  }
  return folder;
}
