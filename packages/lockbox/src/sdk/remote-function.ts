import { assertAppName, assertEnvironmentName, InvalidError } from "@lockbox/server/shared";
import { clientApi, functionCaller } from "./client.js";
import type { CallTarget, RunContext } from "./definitions.js";
import type { DeployedTarget } from "./deployed-target.js";
import { environmentFor } from "./environment.js";
import { activeRun } from "./global-slots.js";
import { isLocal } from "./is-local.js";
import { mapCalls, serverMapLimit } from "./map-calls.js";

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
  // The deploy last called, by environment: each call asks the server (without the code) whether
  // it is still the newest and fetches the deploy again only when not, so a redeploy is used at
  // once. Calls at the same time share one check.
  readonly #known = new Map<string, DeployedTarget>();
  readonly #checks = new Map<string, Promise<CallTarget>>();

  private constructor(appName: string, functionName: string, environment: string | undefined) {
    this.appName = appName;
    this.functionName = functionName;
    this.#environment = environment;
  }

  /**
   * The function `functionName` of the newest deploy of `appName`; looked up on each call.
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

  #target(environment: string): Promise<CallTarget> {
    let check = this.#checks.get(environment);
    if (!check) {
      check = this.#check(environment).finally(() => this.#checks.delete(environment));
      this.#checks.set(environment, check);
    }
    return check;
  }

  async #check(environment: string): Promise<CallTarget> {
    const { deployedTarget } = await import("./deployed-target.js");
    const ref = { appName: this.appName, functionName: this.functionName, environment };
    const known = await deployedTarget(await clientApi(), ref, this.#known.get(environment));
    this.#known.set(environment, known);
    return known.target;
  }

  /** In server mode (unless the run is `--local`), a call on the server; else undefined. */
  async #onServer(): Promise<((args: unknown[]) => Promise<unknown>) | undefined> {
    if (!isLocal())
      throw new InvalidError(`${this.functionName}.remote() cannot be called inside a container`);
    const caller = activeRun()?.local ? undefined : await functionCaller();
    if (!caller) return undefined;
    const ref = {
      environment: await environmentFor(this.#environment),
      app: this.appName,
      function: this.functionName,
    };
    return (args) => caller.call(ref, args, process);
  }

  /** The active run, or a temporary one that `done` stops. */
  async #run(): Promise<{ run: RunContext; environment: string; done: () => Promise<void> }> {
    const environment = await environmentFor(this.#environment);
    const active = activeRun();
    if (active) return { run: active, environment, done: async () => {} };
    const { temporaryRun } = await import("./deployed-target.js");
    const run = temporaryRun(environment);
    return { run, environment, done: () => run.stop() };
  }

  /**
   * Runs the deployed function in a container with its secrets.
   * @example const count = await RemoteFunction.fromName("example", "wordCount").remote("a b c");
   */
  async remote(...args: Args): Promise<Awaited<R>> {
    const onServer = await this.#onServer();
    if (onServer) return (await onServer(args)) as Awaited<R>;
    const { run, environment, done } = await this.#run();
    try {
      return (await run.callTarget(await this.#target(environment), args)) as Awaited<R>;
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
    const onServer = await this.#onServer();
    if (onServer) {
      yield* mapCalls(inputs, async (input) => (await onServer([input])) as Awaited<R>, serverMapLimit);
      return;
    }
    const { run, environment, done } = await this.#run();
    try {
      const target = await this.#target(environment);
      yield* mapCalls(inputs, async (input) => (await run.callTarget(target, [input])) as Awaited<R>);
    } finally {
      await done();
    }
  }
}
