import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { materializeBundle } from "./bundle.js";

// Deployed code written out for containers, by SHA-256 of the code: one folder per deployed
// version however many handles and calls use it. A folder stays until the process exits (a warm
// container of an older version may still need its files), so their number is that of the
// versions this process called.
const folders = new Map<string, Promise<string>>();
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

/**
 * The path of `code` written as a bundle a container can import; never imported in this process.
 * @example const bundlePath = await deployedBundlePath(deployment.bundle);
 */
export function deployedBundlePath(code: string): Promise<string> {
  const hash = createHash("sha256").update(code).digest("hex");
  let folder = folders.get(hash);
  if (!folder) {
    folder = materializeBundle(code).then((bundle) => {
      removeAtExit(bundle.dir);
      return bundle.containerBundlePath; // not the bundle: its code stays out of memory
    });
    folders.set(hash, folder);
    void folder.catch(() => folders.delete(hash)); // a failed write is tried again next call
  }
  return folder;
}
