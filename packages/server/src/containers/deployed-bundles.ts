import { createHash } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FileMount } from "./container-types.js";
import { type FunctionFiles, functionContents } from "./deployed-files.js";
import { writeFileTree } from "./file-tree.js";

/** A deployed function written out for containers: the deploy's bundle, and the function's files as mounts. */
export interface DeployedBundle {
  bundlePath: string;
  files: readonly FileMount[];
}

/** A bundle written out: its own folder (the function files go beside the code) and the path containers import. */
export interface WrittenBundle {
  dir: string;
  bundlePath: string;
}

export interface DeployedBundlesOptions {
  /** Writes `code` into a fresh folder of its own, as a container folder (container-folder.ts). */
  writeBundle(code: string): Promise<WrittenBundle>;
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

async function writeFiles(
  dir: string,
  fn: FunctionFiles,
  contents: Readonly<Record<string, string>>,
): Promise<FileMount[]> {
  // Checked again here, where they are written: they come from a store or a server.
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
 * Deployed code written out for containers, by SHA-256 of the code, and each function's files
 * beside it, by SHA-256 of its list (which names every content by its hash): one folder per
 * deployed version however many calls use it, holding only the files of functions called. A
 * folder stays until its owner removes it (a warm container of an older version may
 * still need it). Used by the SDK (caller-side containers) and the server's executor alike.
 * @example const { bundlePath, files } = await bundles.get(deployment.bundle, fn, deployment.files);
 */
export function createDeployedBundles(options: DeployedBundlesOptions) {
  const bundles = new Map<string, Promise<WrittenBundle>>();
  const fileSets = new Map<string, Promise<FileMount[]>>();
  return {
    /** `code` written as a bundle a container can import, with `fn`'s files beside it; never imported here. */
    async get(
      code: string,
      fn: FunctionFiles,
      contents: Readonly<Record<string, string>> = {},
    ): Promise<DeployedBundle> {
      const codeHash = sha256(code);
      const bundle = await once(bundles, codeHash, () => options.writeBundle(code));
      if (!fn.files?.length) return { bundlePath: bundle.bundlePath, files: [] };
      const filesHash = sha256(JSON.stringify(fn.files));
      const files = await once(fileSets, `${codeHash}/${filesHash}`, () =>
        writeFiles(join(bundle.dir, `files-${filesHash.slice(0, 32)}`), fn, contents),
      );
      return { bundlePath: bundle.bundlePath, files };
    },
  };
}

export type DeployedBundles = ReturnType<typeof createDeployedBundles>;
