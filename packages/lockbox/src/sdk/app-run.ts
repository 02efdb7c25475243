import { dirname, join, resolve } from "node:path";
import type { LockboxApi } from "@lockbox/server";
import type { ContainerPool, ContainerSpec, FileMount } from "@lockbox/server/containers";
import { InternalError, InvalidError, quote } from "@lockbox/server/shared";
import { clientConfig } from "../client/settings.js";
import { containerEnvironment } from "./container-env.js";
import type { CallTarget, FunctionDefinition, InlineSource, RunContext } from "./definitions.js";
import { stageLocalFiles } from "./function-files.js";
import { activeRun, setActiveRun } from "./global-slots.js";
import { containerKey, prepareLayers } from "./secret-layers.js";

export interface AppRunOptions {
  /** The Lockbox API, connected on first use. */
  api: () => Promise<LockboxApi>;
  environment: string;
  entryFile: string;
  /** The bundle in its container folder. */
  bundlePath: string;
  /** The bundle's own folder, where functions' `files` are copied for their containers. */
  bundleDir?: string | undefined;
  /** How many functions this process had registered before it defined the bundle's. */
  base: number;
  /** Replace secret values by `***` in function output; default on unless `LOCKBOX_NO_MASK=1`. */
  mask?: boolean | undefined;
  /** In server mode, run deployed functions in containers here instead of on the server. */
  local?: boolean | undefined;
}

/** Whether values are masked when no option says: on, unless `LOCKBOX_NO_MASK=1`. */
export const maskFromEnvironment = () => !clientConfig().noMask;

/** A name for messages: the export name when known, else the function's own, else its place. */
export function functionLabel(definition: FunctionDefinition, relativeIndex: number): string {
  return definition.fn.name || `function #${relativeIndex}`;
}

/**
 * One app run: its bundle, its containers, and the glue from a function call to a container
 * with the function's secrets. Ephemeral secrets are read once per run and live only here.
 */
export class AppRun implements RunContext {
  readonly entryFile: string;
  readonly environment: string;
  readonly bundlePath: string;
  readonly mask: boolean;
  readonly local: boolean;
  /** Export names of the bundle's functions, by their index in the bundle. */
  readonly names = new Map<number, string>();
  readonly #options: AppRunOptions;
  readonly #inline = new Map<InlineSource, Promise<Record<string, string>>>();
  readonly #files = new Map<FunctionDefinition, Promise<FileMount[]>>();
  #fileFolders = 0;
  readonly #cleanups: (() => Promise<void>)[] = [];
  /** Every value a container of this run was told to mask: what `hide` masks. */
  readonly #maskValues = new Set<string>();
  #pool: Promise<ContainerPool> | undefined;

  constructor(options: AppRunOptions) {
    this.#options = options;
    this.entryFile = options.entryFile;
    this.environment = options.environment;
    this.bundlePath = options.bundlePath;
    this.mask = options.mask ?? maskFromEnvironment();
    this.local = options.local ?? false;
  }

  /** Makes this the run that `.remote()` uses in this process. */
  activate(): this {
    setActiveRun(this);
    return this;
  }

  /** Runs `cleanup` when the run stops (after its containers are closed). */
  onStop(cleanup: () => Promise<void>): void {
    this.#cleanups.push(cleanup);
  }

  async call(definition: FunctionDefinition, args: unknown[]): Promise<unknown> {
    const functionIndex = definition.index - this.#options.base;
    const functionName = this.names.get(functionIndex) ?? functionLabel(definition, functionIndex);
    if (functionIndex < 0)
      throw new InvalidError(`Function '${functionName}' is not part of the module this app run bundled`);
    const { layers, timeoutMs, sandbox } = definition;
    const files = await this.#stage(definition);
    return this.callTarget(
      { bundlePath: this.bundlePath, functionIndex, functionName, layers, timeoutMs, sandbox, files },
      args,
    );
  }

  /**
   * Copies the `files` of these functions for their containers now, so that a missing file fails
   * the run before anything runs, and every call sees the same snapshot.
   */
  async prepareFiles(definitions: readonly FunctionDefinition[]): Promise<void> {
    await Promise.all(definitions.map((definition) => this.#stage(definition)));
  }

  #stage(definition: FunctionDefinition): Promise<FileMount[]> {
    const { files } = definition;
    if (files === undefined) return Promise.resolve([]);
    let staged = this.#files.get(definition);
    if (!staged) {
      const { bundleDir } = this.#options;
      if (!bundleDir) return Promise.reject(new InternalError("This run has no folder for functions' files"));
      const relative = definition.index - this.#options.base;
      const where = `Function ${quote(this.names.get(relative) ?? functionLabel(definition, relative))}`;
      const dir = join(bundleDir, `files-${this.#fileFolders++}`);
      staged = stageLocalFiles(files, dirname(resolve(this.entryFile)), dir, where);
      this.#files.set(definition, staged);
      void staged.catch(() => this.#files.delete(definition)); // a failed copy is tried again next call
    }
    return staged;
  }

  async callTarget(target: CallTarget, args: unknown[]): Promise<unknown> {
    const pool = await this.#containers();
    const problem =
      pool.backend === "process" && target.files?.length
        ? (await import("@lockbox/server/containers")).processFilesProblem(
            target.files,
            `Function ${quote(target.functionName)}`,
          )
        : undefined;
    if (problem) throw new InvalidError(problem);
    const api = await this.#options.api();
    const environment = target.environment ?? this.environment;
    const layers = await prepareLayers(api, environment, target.layers, (source) => this.#loadInline(source));
    const key = containerKey(target, layers);
    const start = async (): Promise<ContainerSpec> => {
      const { env, sources } = await containerEnvironment(api, layers);
      const { bundlePath, functionIndex, functionName, timeoutMs, sandbox, files } = target;
      const maskValues = this.mask ? [...new Set(Object.values(env))].filter((value) => value !== "") : [];
      for (const value of maskValues) this.#maskValues.add(value);
      return {
        bundlePath,
        functionIndex,
        functionName,
        env,
        sources,
        maskValues,
        timeoutMs,
        ...sandbox,
        files,
      };
    };
    // Calls pin their secrets' newest versions: containers of older ones are not asked for again.
    return pool.call(key, start, args, { lineage: `${target.bundlePath}#${target.functionIndex}` });
  }

  /** `text` masked as the run's function output is: every value its containers got, unless masking is off. */
  async hide(text: string): Promise<string> {
    if (this.#maskValues.size === 0) return text;
    const { maskText } = await import("@lockbox/server/containers");
    return maskText(text, [...this.#maskValues]);
  }

  #loadInline(source: InlineSource): Promise<Record<string, string>> {
    let values = this.#inline.get(source);
    if (!values) {
      values = source.load();
      this.#inline.set(source, values);
      void values.catch(() => this.#inline.delete(source)); // a failed read is tried again next call
    }
    return values;
  }

  #containers(): Promise<ContainerPool> {
    this.#pool ??= import("@lockbox/server/containers").then(({ createContainerPool }) =>
      createContainerPool({
        backend: clientConfig().container,
        output: { stdout: process.stdout, stderr: process.stderr },
      }),
    );
    return this.#pool;
  }

  /** Closes the containers, forgets the ephemeral secrets, and runs the cleanups. */
  async stop(): Promise<void> {
    if (activeRun() === this) setActiveRun(undefined);
    const pool = this.#pool;
    this.#pool = undefined;
    this.#inline.clear();
    this.#files.clear();
    try {
      if (pool) await (await pool.catch(() => undefined))?.close();
    } finally {
      for (const cleanup of this.#cleanups.splice(0).reverse()) await cleanup();
    }
  }
}
