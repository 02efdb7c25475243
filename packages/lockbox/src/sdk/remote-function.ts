import { assertAppName, assertEnvironmentName, InvalidError } from "@lockbox/server/shared";
import { environmentFor } from "./environment.js";
import { activeRun, type CallTarget, type RunContext } from "./internal.js";
import { isLocal } from "./is-local.js";
import { mapCalls } from "./map-calls.js";

/** Options of `RemoteFunction.fromName`. */
export interface RemoteFunctionOptions {
  /** The environment the app was deployed to; default the configured one. */
  environment?: string;
}

/**
 * A function of a deployed app, called by name.
 * @example const f = RemoteFunction.fromName("example", "someFunction"); console.log(await f.remote());
 */
export class RemoteFunction<Args extends unknown[] = unknown[], R = unknown> {
  readonly appName: string;
  readonly functionName: string;
  readonly #environment: string | undefined;
  // One load of the deployment per run (its bundle folder lives as long as the run).
  readonly #targets = new WeakMap<RunContext, Promise<CallTarget>>();

  private constructor(appName: string, functionName: string, environment: string | undefined) {
    this.appName = appName;
    this.functionName = functionName;
    this.#environment = environment;
  }

  /**
   * The function `functionName` of the newest deploy of `appName`; looked up on first call.
   * @example RemoteFunction.fromName<[string], number>("example", "wordCount", { environment: "dev" })
   */
  static fromName<Args extends unknown[] = unknown[], R = unknown>(
    appName: string,
    functionName: string,
    options: RemoteFunctionOptions = {},
  ): RemoteFunction<Args, R> {
    assertAppName(appName);
    if (typeof functionName !== "string" || functionName.length === 0)
      throw new InvalidError("RemoteFunction.fromName needs a function name");
    if (options.environment !== undefined) assertEnvironmentName(options.environment);
    return new RemoteFunction(appName, functionName, options.environment);
  }

  #target(run: RunContext): Promise<CallTarget> {
    let target = this.#targets.get(run);
    if (!target) {
      target = this.#load(run);
      this.#targets.set(run, target);
      void target.catch(() => this.#targets.delete(run));
    }
    return target;
  }

  async #load(run: RunContext): Promise<CallTarget> {
    const { loadDeployedTarget } = await import("./deployed-target.js");
    const environment = await environmentFor(this.#environment);
    return loadDeployedTarget(run, { appName: this.appName, functionName: this.functionName, environment });
  }

  /** The active run, or a temporary one that `done` stops. */
  async #run(): Promise<{ run: RunContext; done: () => Promise<void> }> {
    if (!isLocal())
      throw new InvalidError(`${this.functionName}.remote() cannot be called inside a container`);
    const active = activeRun();
    if (active) return { run: active, done: async () => {} };
    const { temporaryRun } = await import("./deployed-target.js");
    const run = temporaryRun(await environmentFor(this.#environment));
    return { run, done: () => run.stop() };
  }

  /**
   * Runs the deployed function in a container with its secrets.
   * @example const count = await RemoteFunction.fromName("example", "wordCount").remote("a b c");
   */
  async remote(...args: Args): Promise<Awaited<R>> {
    const { run, done } = await this.#run();
    try {
      return (await run.callTarget(await this.#target(run), args)) as Awaited<R>;
    } finally {
      await done();
    }
  }

  /**
   * Calls the deployed function once per input, all at once; yields the results in input order.
   * @example for await (const n of RemoteFunction.fromName("example", "square").map([1, 2])) console.log(n);
   */
  async *map(
    inputs: Iterable<Args[0]> | AsyncIterable<Args[0]>,
  ): AsyncGenerator<Awaited<R>, void, undefined> {
    const { run, done } = await this.#run();
    try {
      const target = await this.#target(run);
      yield* mapCalls(inputs, async (input) => (await run.callTarget(target, [input])) as Awaited<R>);
    } finally {
      await done();
    }
  }
}
