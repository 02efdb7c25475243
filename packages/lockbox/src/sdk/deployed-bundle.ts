import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type FileMount, functionContents } from "@lockbox/server/containers";
import { materializeBundle } from "./bundle.js";
import type { DeployedFunction } from "./deploy-functions.js";
import { writeFileTree } from "./function-files.js";

/** A deployed function written out for containers: the deploy's bundle, and the function's files as mounts. */
export interface DeployedBundle {
  bundlePath: string;
  files: readonly FileMount[];
}

interface WrittenBundle {
  dir: string;
  bundlePath: string;
}

// Deployed code written out for containers, by SHA-256 of the code, and each function's files
// beside it, by SHA-256 of its list (which names every content by its hash): one folder per
// deployed version however many handles and calls use it, holding only the files of functions
// called. A folder stays until the process exits (a warm container of an older version may
// still need it), so their number is that of the versions this process called.
const bundles = new Map<string, Promise<WrittenBundle>>();
const fileSets = new Map<string, Promise<FileMount[]>>();
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

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** `make` once per key; a failure is forgotten, so the next call tries again. */
function once<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let made = cache.get(key);
  if (!made) {
    made = make();
    cache.set(key, made);
    void made.catch(() => cache.delete(key));
  }
  return made;
}

async function writeBundle(code: string): Promise<WrittenBundle> {
  const bundle = await materializeBundle(code);
  removeAtExit(bundle.dir);
  return { dir: bundle.dir, bundlePath: bundle.containerBundlePath }; // not the bundle: its code stays out of memory
}

async function writeFiles(
  dir: string,
  fn: DeployedFunction,
  contents: Readonly<Record<string, string>>,
): Promise<FileMount[]> {
  // Checked again here, where they are written: they come from a server.
  const checked = functionContents(fn, contents);
  try {
    return await writeFileTree(dir, fn.files ?? [], async (entry, target) => {
      await writeFile(target, checked.get(entry.sha256 ?? "") ?? Buffer.alloc(0));
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * `code` written as a bundle a container can import, with `fn`'s files beside it; never imported
 * in this process.
 * @example const { bundlePath, files } = await deployedBundle(deployment.bundle, fn, deployment.files);
 */
export async function deployedBundle(
  code: string,
  fn: DeployedFunction,
  contents: Readonly<Record<string, string>> = {},
): Promise<DeployedBundle> {
  const codeHash = sha256(code);
  const bundle = await once(bundles, codeHash, () => writeBundle(code));
  if (!fn.files?.length) return { bundlePath: bundle.bundlePath, files: [] };
  const filesHash = sha256(JSON.stringify(fn.files));
  const files = await once(fileSets, `${codeHash}/${filesHash}`, () =>
    writeFiles(join(bundle.dir, `files-${filesHash.slice(0, 32)}`), fn, contents),
  );
  return { bundlePath: bundle.bundlePath, files };
}
