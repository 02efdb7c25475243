import { dirname, resolve } from "node:path";
import type { LockboxApi } from "@lockbox/server";
import { functionRegistry, InternalError, InvalidError, quote } from "@lockbox/server/shared";
import { defaultServerUrl } from "../client/connect.js";
import type { FunctionCaller } from "../client/function-calls.js";
import type { AppDeployment } from "./app.js";
import { AppRun } from "./app-run.js";
import { type Bundle, bundleModule } from "./bundle.js";
import { importBundle } from "./bundle-import.js";
import { clientApi, closeClient, functionCaller } from "./client.js";
import { addDeployedFiles } from "./deploy-files.js";
import { deployedFunctions } from "./deploy-functions.js";
import { environmentFor } from "./environment.js";
import type { FunctionHandle } from "./function-handle.js";
import { appRegistry, functionDefinition } from "./global-slots.js";
import { ServerRun } from "./server-run.js";

/** Options of `startRun` (the CLI's `lockbox run`) and of `app.run`. */
export interface StartRunOptions {
  entryFile: string;
  environment?: string | undefined;
  /** Replace secret values by `***` in function output; default on unless `LOCKBOX_NO_MASK=1`. */
  mask?: boolean | undefined;
  /**
   * The run is for the module's local entrypoint: a module whose code never names
   * `localEntrypoint` is refused before any of it runs (and one that defines none, after).
   */
  entrypoint?: boolean | undefined;
  /** In server mode, run the functions (the module's and deployed ones) in containers here instead of on the server (`--local`). */
  local?: boolean | undefined;
}

/** A running app, started from a file by the CLI. */
export interface StartedRun {
  /** The exports of the bundled module, imported in this process. */
  module: Record<string, unknown>;
  /** The function handle exported under `exportName`, or undefined when there is none. */
  findFunction(exportName: string): FunctionHandle | undefined;
  /** The function marked with `app.localEntrypoint` (the first, if several). */
  localEntrypoint: ((...args: never[]) => unknown) | undefined;
  /** `text` masked as the run's function output is (the values its containers got), unless masking is off. */
  hide(text: string): Promise<string>;
  /** Stops every container, forgets the ephemeral secrets, removes the bundle. */
  stop(): Promise<void>;
}

function noLocalEntrypoint(file: string): InvalidError {
  return new InvalidError(
    `${file} has no local entrypoint: mark one with app.localEntrypoint(fn), or run a function: lockbox run ${file}::NAME`,
  );
}

/** A run of the module's functions: in containers here, or (server mode, not `--local`) on the server. */
export type ActiveRun = AppRun | ServerRun;

async function serverCaller(): Promise<FunctionCaller> {
  const caller = await functionCaller();
  if (!caller) throw new InternalError("A run on a Lockbox server needs LOCKBOX_SERVER_URL");
  return caller;
}

/** Bundles `entryFile` and makes an active run for it; `base` is where its functions start here. */
async function newRun(
  options: StartRunOptions,
  base: () => number,
): Promise<{ run: ActiveRun; bundle: Bundle }> {
  const environment = await environmentFor(options.environment);
  const bundle = await bundleModule(options.entryFile);
  // `lockbox` stays outside the bundle, so the name in it comes from the user's own code.
  if (options.entrypoint && !/\blocalEntrypoint\b/.test(bundle.code)) {
    await bundle.dispose();
    throw noLocalEntrypoint(options.entryFile);
  }
  const run =
    defaultServerUrl() && !options.local
      ? new ServerRun({ ...options, caller: serverCaller, environment, code: bundle.code, base: base() })
      : new AppRun({
          ...options,
          api: clientApi,
          environment,
          bundlePath: bundle.containerBundlePath,
          bundleDir: bundle.dir,
          base: base(),
        });
  run.onStop(closeClient);
  run.onStop(bundle.dispose);
  return { run: run.activate(), bundle };
}

/**
 * For `lockbox run FILE`: bundles the file, starts the run, then imports the bundle here, so the
 * module's functions and its top-level `await app.run(…)` belong to this run.
 * @example const run = await startRun({ entryFile: "app.ts" }); try { … } finally { await run.stop(); }
 */
export async function startRun(options: StartRunOptions): Promise<StartedRun> {
  const { run, bundle } = await newRun(options, () => functionRegistry().length);
  try {
    const { module, apps, names } = await importBundle(bundle.bundlePath, { inspect: false });
    for (const [index, name] of names) run.names.set(index, name);
    const localEntrypoint = apps.flatMap((app) => app.localEntrypoints)[0];
    if (options.entrypoint && !localEntrypoint) throw noLocalEntrypoint(options.entryFile);
    await run.prepareFiles(apps.flatMap((app) => app.functions));
    return {
      module,
      findFunction: (exportName) =>
        functionDefinition(module[exportName]) ? (module[exportName] as FunctionHandle) : undefined,
      localEntrypoint,
      hide: (text) => run.hide(text),
      stop: () => run.stop(),
    };
  } catch (error) {
    await run.stop();
    throw error;
  }
}

/**
 * For `app.run` in a script started with node or tsx: the script is already loaded, its
 * functions first in this process's registry; the bundle is for the containers.
 */
export async function startScriptRun(options: StartRunOptions): Promise<ActiveRun> {
  const { run } = await newRun(options, () => 0);
  try {
    await run.prepareFiles(appRegistry().flatMap((app) => app.functions));
  } catch (error) {
    await run.stop();
    throw error;
  }
  return run;
}

export interface DeployFileOptions {
  entryFile: string;
  environment?: string | undefined;
  /** Deploy only this app; default every named app of the module. */
  appName?: string | undefined;
}

/**
 * For `lockbox deploy FILE` and `app.deploy()`: bundles the file, imports it here (the deployer's
 * own code, in the deployer's process) to read its named apps and their exported functions, and
 * deploys each app with the bundle and, per function, its named secrets, `env` and timeout. Every
 * app is checked before any is stored.
 */
export async function deployFile(options: DeployFileOptions): Promise<AppDeployment[]> {
  const environment = await environmentFor(options.environment);
  const bundle = await bundleModule(options.entryFile);
  try {
    const { apps, names, base } = await importBundle(bundle.bundlePath, { inspect: true });
    const chosen = apps.filter((app) => app.name !== undefined && (options.appName ?? app.name) === app.name);
    if (chosen.length === 0) {
      throw new InvalidError(
        options.appName === undefined
          ? `No named app in ${options.entryFile}: name it to deploy it, new App("my-app")`
          : `App ${quote(options.appName)} is not defined in ${options.entryFile}`,
      );
    }
    const baseDir = dirname(resolve(options.entryFile));
    const planned = [];
    for (const app of chosen) {
      const functions = deployedFunctions(app, names, base);
      const files = await addDeployedFiles(app, functions, base, baseDir);
      planned.push({ name: app.name as string, functions, files });
    }
    const api: LockboxApi = await clientApi();
    const deployments: AppDeployment[] = [];
    for (const app of planned) {
      const { name, version } = await api.apps.deploy({
        environment,
        name: app.name,
        bundle: bundle.code,
        functions: app.functions,
        ...(Object.keys(app.files).length === 0 ? {} : { files: app.files }),
      });
      const functions = app.functions.map((fn) => ({ name: fn.name, index: fn.index }));
      deployments.push({ name, environment, version, functions });
    }
    return deployments;
  } finally {
    await bundle.dispose();
  }
}
