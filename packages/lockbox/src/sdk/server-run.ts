import { dirname, resolve } from "node:path";
import { InternalError, InvalidError } from "@lockbox/server/shared";
import type { FunctionCaller } from "../client/function-calls.js";
import type { OpenRun, RunStart } from "../client/run-stream.js";
import { functionLabel, maskFromEnvironment } from "./app-run.js";
import type {
  CallTarget,
  FunctionDefinition,
  InlineSource,
  RunContext,
  SecretSource,
} from "./definitions.js";
import { addDeployedFiles } from "./deploy-files.js";
import { activeRun, appRegistry, setActiveRun } from "./global-slots.js";
import { serverMapLimit } from "./map-calls.js";

export interface ServerRunOptions {
  /** The server's calls, connected on first use. */
  caller: () => Promise<FunctionCaller>;
  environment: string;
  entryFile: string;
  /** The bundle's code, which the server writes out for its containers. */
  code: string;
  /** How many functions this process had registered before it defined the bundle's. */
  base: number;
  /** Replace secret values by `***` in function output and results (the server does); default on unless `LOCKBOX_NO_MASK=1`. */
  mask?: boolean | undefined;
}

type RunLayer = RunStart["functions"][number]["layers"][number];

const exportNamePattern = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;

/**
 * An app run on a Lockbox server (server mode, not `--local`): the bundle, the functions' files
 * and layers (ephemeral secrets read once, here) go to the server, which holds them in memory for
 * as long as this run's stream is open; every `.remote()` of the module's functions runs there.
 */
export class ServerRun implements RunContext {
  readonly entryFile: string;
  readonly environment: string;
  readonly local = false;
  readonly mapLimit = serverMapLimit;
  /** Export names of the bundle's functions, by their index in the bundle. */
  readonly names = new Map<number, string>();
  readonly #options: ServerRunOptions;
  readonly #cleanups: (() => Promise<void>)[] = [];
  #open: Promise<{ run: OpenRun; caller: FunctionCaller; indexes: Set<number> }> | undefined;

  constructor(options: ServerRunOptions) {
    this.#options = options;
    this.entryFile = options.entryFile;
    this.environment = options.environment;
  }

  /** Makes this the run that `.remote()` uses in this process. */
  activate(): this {
    setActiveRun(this);
    return this;
  }

  /** Runs `cleanup` when the run stops (after its stream is closed). */
  onStop(cleanup: () => Promise<void>): void {
    this.#cleanups.push(cleanup);
  }

  /** Starts the run on the server now, with every function defined so far: a missing file or secret source fails here. */
  async prepareFiles(_definitions: readonly FunctionDefinition[]): Promise<void> {
    await this.#started();
  }

  async call(definition: FunctionDefinition, args: unknown[]): Promise<unknown> {
    const index = definition.index - this.#options.base;
    const { run, caller, indexes } = await this.#started();
    const name = this.#name(definition, index);
    if (!indexes.has(index))
      throw new InvalidError(
        `Function '${name}' is not part of the module this app run bundled, or was defined after the run started on the server`,
      );
    return caller.callInRun({ run: run.id, index, name }, args, process);
  }

  callTarget(_target: CallTarget, _args: unknown[]): Promise<unknown> {
    // Deployed functions are called by name on the server in server mode (remote-function.ts).
    return Promise.reject(new InternalError("A run on the server calls deployed functions by name"));
  }

  /** The server masked the output and results already. */
  async hide(text: string): Promise<string> {
    return text;
  }

  #name(definition: FunctionDefinition, index: number): string {
    const known = this.names.get(index);
    if (known) return known;
    const label = functionLabel(definition, index);
    return exportNamePattern.test(label) ? label : `function_${index}`;
  }

  #started() {
    this.#open ??= this.#start();
    return this.#open;
  }

  async #start() {
    const { base, code, environment } = this.#options;
    const baseDir = dirname(resolve(this.entryFile));
    const inline = new Map<InlineSource, Promise<Record<string, string>>>();
    const layer = async (source: SecretSource): Promise<RunLayer> => {
      if (source.kind === "named") {
        const { name, environment: where, requiredKeys } = source;
        return {
          kind: "named",
          name,
          ...(where ? { environment: where } : {}),
          ...(requiredKeys.length ? { requiredKeys } : {}),
        };
      }
      if (!inline.has(source)) inline.set(source, source.load());
      return {
        kind: "inline",
        label: source.label,
        values: await (inline.get(source) as Promise<Record<string, string>>),
      };
    };
    const functions: RunStart["functions"] = [];
    const files: Record<string, string> = {};
    for (const app of appRegistry()) {
      const own = app.functions.filter((definition) => definition.index >= base);
      const entries = await Promise.all(
        own.map(async (definition) => ({
          index: definition.index - base,
          name: this.#name(definition, definition.index - base),
          ...(app.name === undefined ? {} : { app: app.name }),
          layers: await Promise.all(definition.layers.map(layer)),
          timeoutMs: definition.timeoutMs,
          network: definition.sandbox.network,
          tmpMb: definition.sandbox.tmpMb,
        })),
      );
      Object.assign(files, await addDeployedFiles(app, entries, base, baseDir));
      functions.push(...entries);
    }
    inline.clear();
    const caller = await this.#options.caller();
    const mask = this.#options.mask ?? maskFromEnvironment();
    const run = await caller.openRun(environment, { bundle: code, files, functions, mask });
    return { run, caller, indexes: new Set(functions.map((fn) => fn.index)) };
  }

  /** Closes the run's stream (the server stops its containers and forgets its values), then runs the cleanups. */
  async stop(): Promise<void> {
    if (activeRun() === this) setActiveRun(undefined);
    const open = this.#open;
    this.#open = undefined;
    try {
      if (open) (await open.catch(() => undefined))?.run.close();
    } finally {
      for (const cleanup of this.#cleanups.splice(0).reverse()) await cleanup();
    }
  }
}
