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
interface WrittenBundle {
  dir: string;
  bundlePath: string;
}

interface DeployedBundlesOptions {
  /** Writes `code` into a fresh folder of its own, as a container folder (container-folder.ts). */
  writeBundle(code: string): Promise<WrittenBundle>;
  /** Removes a bundle's folder that nothing holds any more (warm containers may still run from it). */
  removeBundle?(dir: string): void;
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
 * folder stays while its code is held (`hold`, `release`), or for the process's life when nothing
 * ever holds it (the SDK's caller-side containers); the server's executor holds what it keeps loaded.
 * @example const { bundlePath, files } = await bundles.get(deployment.bundle, fn, deployment.files);
 */
export function createDeployedBundles(options: DeployedBundlesOptions) {
  // Each code's hash, found again without hashing it (V8 keeps a string's own hash): a call of a
  // large bundle need not read all of it.
  const hashes = new Map<string, string>();
  const hashOf = (code: string) => {
    let hash = hashes.get(code);
    if (hash === undefined) {
      hash = sha256(code);
      hashes.set(code, hash);
    }
    return hash;
  };
  const bundles = new Map<string, Promise<WrittenBundle>>();
  const fileSets = new Map<string, Promise<FileMount[]>>();
  const holders = new Map<string, number>();
  return {
    /** Keeps `code`'s folder until as many `release`s. */
    hold(code: string): void {
      const codeHash = hashOf(code);
      holders.set(codeHash, (holders.get(codeHash) ?? 0) + 1);
    },

    /** Lets go of `code`'s folder: once nothing holds it, the next call writes a new one and this one is removed. */
    release(code: string): void {
      const codeHash = hashOf(code);
      const left = (holders.get(codeHash) ?? 0) - 1;
      if (left > 0) return void holders.set(codeHash, left);
      holders.delete(codeHash);
      hashes.delete(code);
      const written = bundles.get(codeHash);
      bundles.delete(codeHash);
      for (const key of fileSets.keys()) if (key.startsWith(`${codeHash}/`)) fileSets.delete(key);
      void written?.then(
        ({ dir }) => options.removeBundle?.(dir),
        () => {},
      );
    },

    /** `code` written as a bundle a container can import, with `fn`'s files beside it; never imported here. */
    async get(
      code: string,
      fn: FunctionFiles,
      contents: Readonly<Record<string, string>> = {},
    ): Promise<DeployedBundle> {
      const codeHash = hashOf(code);
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
