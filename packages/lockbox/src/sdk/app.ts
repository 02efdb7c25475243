import {
  assertAppName,
  filesOptionProblem,
  functionRegistry,
  InvalidError,
  limits,
  type NetworkMode,
  networkDefault,
  networkProblem,
  timeoutProblem,
  tmpMbProblem,
} from "@lockbox/server/shared";
import { type AppDefinition, defaultTimeoutMs, type SandboxShape, type SecretSource } from "./definitions.js";
import { FunctionHandle } from "./function-handle.js";
import { activeRun, appRegistry, inspecting, secretSource } from "./global-slots.js";
import { checkInlineValues, envSource } from "./inline-values.js";
import { isLocal } from "./is-local.js";
import type { Secret } from "./secret.js";

/** Options of `new App(name, options)`. */
export interface AppOptions {
  /** Secrets every function of the app gets, before its own. */
  secrets?: Secret[];
}

/** Options of `app.function(options, fn)`. */
export interface FunctionOptions {
  /** Applied in order after the app's secrets; later ones win on a clash. */
  secrets?: Secret[];
  /** Variables applied last, over every secret; `null`/`undefined` values are dropped. */
  env?: Record<string, string | null | undefined>;
  /** Per call, whole milliseconds up to 2,147,483,647; a longer call is killed with `FunctionTimeoutError`. Default 300,000. */
  timeoutMs?: number;
  /** `outbound` (default): TCP and UDP out, the host's loopback unreachable; `none`: the container's own loopback only. */
  network?: NetworkMode;
  /** Size of the container's private `/tmp` (also `HOME`) in MiB, and the largest file it may write. Default 64. */
  tmpMb?: number;
  /**
   * Local files and folders (folders copied whole) the container sees read-only at the given absolute paths; relative local paths start at the folder of the file you run. Plain files, never secrets.
   * @example app.function({ files: { "/data/words.txt": "./words.txt", "/data/models": "./models" } }, async () => readFileSync("/data/words.txt", "utf8"))
   */
  files?: Record<string, string>;
}

/** Options of `app.run`. */
export interface RunOptions {
  /** Default: `LOCKBOX_ENVIRONMENT`, then the profile, then `main`. */
  environment?: string;
  /** Replace secret values by `***` in function output; default on (off with `LOCKBOX_NO_MASK=1`). */
  mask?: boolean;
}

/** Options of `app.deploy`. */
export interface DeployOptions {
  environment?: string;
}

/** A deployed app, as `app.deploy()` reports it. */
export interface AppDeployment {
  name: string;
  environment: string;
  version: number;
  functions: { name: string; index: number }[];
}

type Fn = (...args: never[]) => unknown;

function secretList(secrets: unknown): SecretSource[] {
  if (secrets === undefined) return [];
  const sources = Array.isArray(secrets) ? secrets.map(secretSource) : [undefined];
  if (sources.some((source) => source === undefined))
    throw new InvalidError("`secrets` has to be an array of Secret objects");
  return sources as SecretSource[];
}

function checkTimeout(timeoutMs: unknown): number {
  if (timeoutMs === undefined) return defaultTimeoutMs;
  const problem = timeoutProblem(timeoutMs);
  if (problem) throw new InvalidError(problem);
  return timeoutMs as number;
}

function checkSandbox(options: FunctionOptions): SandboxShape {
  const { network = networkDefault, tmpMb = limits.tmpMbDefault } = options;
  const problem = networkProblem(network) ?? tmpMbProblem(tmpMb);
  if (problem) throw new InvalidError(problem);
  return { network, tmpMb };
}

function checkFiles(files: unknown): Readonly<Record<string, string>> | undefined {
  if (files === undefined) return undefined;
  const problem = filesOptionProblem(files);
  if (problem) throw new InvalidError(problem);
  return Object.freeze({ ...(files as Record<string, string>) });
}

function mainFile(): string {
  const file = process.argv[1];
  if (!file)
    throw new InvalidError("No module to bundle: run your script with node or tsx, or use `lockbox run`");
  return file;
}

/**
 * An app: functions that run in containers with their secrets. Define functions at the top
 * level of the module, unconditionally: a container imports the module again and finds each
 * function by the order of definition.
 * @example const app = new App("example", { secrets: [Secret.fromName("shared")] });
 */
export class App {
  /** The app's name; needed to deploy it. */
  readonly name: string | undefined;
  readonly #secrets: SecretSource[];
  readonly #definition: AppDefinition;

  constructor(name?: string, options: AppOptions = {}) {
    if (name !== undefined) assertAppName(name);
    this.name = name;
    this.#secrets = secretList(options.secrets);
    this.#definition = { name, functions: [], localEntrypoints: [] };
    appRegistry().push(this.#definition);
  }

  /**
   * Defines a function that runs in a container with the app's secrets, then `secrets` in
   * order, then `env`; for each key the last one wins.
   * @example export const f = app.function({ secrets: [Secret.fromName("secret-keys")] }, async () => process.env.MY_PASSWORD);
   */
  function<A extends unknown[], R>(fn: (...args: A) => R): FunctionHandle<A, R>;
  function<A extends unknown[], R>(options: FunctionOptions, fn: (...args: A) => R): FunctionHandle<A, R>;
  function(first: FunctionOptions | Fn, second?: Fn): FunctionHandle {
    const [options, fn] = typeof first === "function" ? [{}, first] : [first ?? {}, second];
    if (typeof fn !== "function") throw new InvalidError("app.function needs the function to run");
    const secrets = [...this.#secrets, ...secretList(options.secrets)];
    const env = options.env === undefined ? undefined : checkInlineValues(options.env, "`env`");
    const layers = env === undefined ? secrets : [...secrets, envSource(env, Object.keys(options.env ?? {}))];
    const timeoutMs = checkTimeout(options.timeoutMs);
    const sandbox = checkSandbox(options);
    const files = checkFiles(options.files);
    const index = functionRegistry().push(fn) - 1;
    const definition = { index, fn, secrets, env, layers, timeoutMs, sandbox, files };
    this.#definition.functions.push(definition);
    return new FunctionHandle(definition);
  }

  /**
   * Marks what `lockbox run FILE` calls (with the arguments after `--`); returns `fn`.
   * @example export const main = app.localEntrypoint(async () => console.log(await f.remote()));
   */
  localEntrypoint<F extends Fn>(fn: F): F {
    if (typeof fn !== "function") throw new InvalidError("app.localEntrypoint needs a function");
    this.#definition.localEntrypoints.push(fn);
    return fn;
  }

  /**
   * Runs the app for the time of `fn`: bundles this script, lets `.remote()` start containers,
   * then stops them all. Does nothing inside a container, or when `lockbox run` already runs it.
   * @example await app.run(async () => console.log(await someFunction.remote()));
   */
  async run<T>(fn?: () => T | Promise<T>, options: RunOptions = {}): Promise<Awaited<T> | undefined> {
    if (!isLocal() || inspecting()) return undefined;
    if (activeRun()) return fn ? await fn() : undefined;
    const { startScriptRun } = await import("./runner.js");
    const run = await startScriptRun({ entryFile: mainFile(), ...options });
    try {
      return fn ? await fn() : undefined;
    } finally {
      await run.stop();
    }
  }

  /**
   * Deploys the app (this script's bundle) so others can call its functions by name.
   * @example await app.deploy(); // then: RemoteFunction.fromName("example", "someFunction")
   */
  async deploy(options: DeployOptions = {}): Promise<AppDeployment | undefined> {
    if (!isLocal() || inspecting()) return undefined;
    if (this.name === undefined)
      throw new InvalidError('Only a named app can be deployed: new App("my-app")');
    const { deployFile } = await import("./runner.js");
    const entryFile = activeRun()?.entryFile ?? mainFile();
    const [deployment] = await deployFile({ entryFile, ...options, appName: this.name });
    return deployment;
  }
}
