import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeContainerFolder } from "@lockbox/server/containers";
import { InvalidError } from "@lockbox/server/shared";

/** A user module bundled into one ESM file, in a folder of its own. */
export interface Bundle {
  /** `<dir>/app.mjs`, to import here (lockbox resolves to this process's own). */
  bundlePath: string;
  /** `<dir>/container/app.mjs`: the same code in its container folder, with the runtime it needs. */
  containerBundlePath: string;
  dir: string;
  code: string;
  /** Removes the folder. */
  dispose(): Promise<void>;
}

// Bundled CommonJS dependencies call `require`; ESM has none, so the bundle makes one.
// esbuild renames a user's own top-level `require` to keep clear of it.
const banner = [
  'import { createRequire as __lockboxCreateRequire } from "node:module";',
  "const require = __lockboxCreateRequire(import.meta.url);",
].join("\n");

function packageRootOf(start: string, name: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === name
    )
      return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The folder of the `lockbox` package this file belongs to. */
function lockboxRoot(): string {
  const root = packageRootOf(dirname(fileURLToPath(import.meta.url)), "lockbox");
  if (!root) throw new Error("Cannot find the lockbox package folder");
  return root;
}

/** `@lockbox/server` as `lockbox` resolves it: the first node_modules above the package that has it. */
function serverRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", "@lockbox", "server");
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The SDK's container build, which a container imports as `lockbox` (the server's calls need it too). */
export const containerSdkFile = (): string => join(lockboxRoot(), "dist", "bundle", "container.js");

/**
 * Links `lockbox` (and `@lockbox/server`) into `<dir>/node_modules`, so the bundle imports the
 * very modules the caller runs: Node follows the links to the real files, one instance each.
 */
async function linkPackages(dir: string, root: string): Promise<void> {
  await mkdir(join(dir, "node_modules", "@lockbox"), { recursive: true, mode: 0o755 });
  await symlink(root, join(dir, "node_modules", "lockbox"), "dir");
  const server = serverRoot(root);
  if (server) await symlink(server, join(dir, "node_modules", "@lockbox", "server"), "dir");
}

/**
 * Writes `code` into a fresh folder under the temp folder: as `app.mjs` with the packages linked,
 * to import here, and (for built and deployed code alike) into `container/`, the folder a
 * container sees, with the bootstrap and the SDK's container build copied in.
 */
export async function materializeBundle(code: string): Promise<Bundle> {
  const dir = await mkdtemp(join(tmpdir(), "lockbox-bundle-"));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    await chmod(dir, 0o755); // a sandboxed container runs as another user and must read it
    const root = lockboxRoot();
    const bundlePath = join(dir, "app.mjs");
    await writeFile(bundlePath, code, { mode: 0o644 });
    await linkPackages(dir, root);
    const containerBundlePath = await writeContainerFolder(join(dir, "container"), {
      code,
      sdkFile: containerSdkFile(),
    });
    return { bundlePath, containerBundlePath, dir, code, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/**
 * Bundles the user's module once per run or deploy: ESM for Node 20, user dependencies inside,
 * `lockbox`, `@lockbox/server` and Node's builtins outside.
 * @example const bundle = await bundleModule("app.ts"); try { … } finally { await bundle.dispose(); }
 */
export async function bundleModule(entryFile: string): Promise<Bundle> {
  const entry = resolve(entryFile);
  if (!existsSync(entry)) throw new InvalidError(`Cannot find the module to run: ${entry}`);
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    logLevel: "silent",
    banner: { js: banner },
    external: ["lockbox", "lockbox/*", "@lockbox/server", "@lockbox/server/*"],
  }).catch((error: unknown) => {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number } }[] })
      .errors;
    const first = errors?.[0];
    if (!first) throw error;
    const where = first.location ? ` (${first.location.file}:${first.location.line})` : "";
    throw new InvalidError(`Could not bundle ${entry}: ${first.text}${where}`);
  });
  const code = result.outputFiles[0]?.text ?? "";
  return materializeBundle(code);
}
