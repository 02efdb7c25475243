import { rmSync } from "node:fs";
import { createDeployedBundles, type DeployedBundle } from "@lockbox/server/containers";
import { materializeBundle } from "./bundle.js";
import type { DeployedFunction } from "./deploy-functions.js";

// Folders stay until the process exits (a warm container of an older version may still need
// them), so their number is that of the versions this process called.
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

const bundles = createDeployedBundles({
  async writeBundle(code) {
    const bundle = await materializeBundle(code);
    removeAtExit(bundle.dir);
    return { dir: bundle.dir, bundlePath: bundle.containerBundlePath }; // not the bundle: its code stays out of memory
  },
});

/**
 * `code` written as a bundle a container can import, with `fn`'s files beside it; never imported
 * in this process.
 * @example const { bundlePath, files } = await deployedBundle(deployment.bundle, fn, deployment.files);
 */
export function deployedBundle(
  code: string,
  fn: DeployedFunction,
  contents: Readonly<Record<string, string>> = {},
): Promise<DeployedBundle> {
  return bundles.get(code, fn, contents);
}
