import { InvalidError } from "@lockbox/server/shared";
import type { FunctionDefinition } from "./definitions.js";
import { activeRun, attachDefinition } from "./global-slots.js";
import { isLocal } from "./is-local.js";
import { mapCalls } from "./map-calls.js";

/**
 * A function defined with `app.function`: call it in a container with `.remote()`, here with
 * `.local()`, or once per input with `.map()`.
 * @example const result = await someFunction.remote("argument");
 */
export class FunctionHandle<Args extends unknown[] = unknown[], R = unknown> {
  readonly #definition: FunctionDefinition;

  /** Made by `app.function`; not meant to be called directly. */
  constructor(definition: FunctionDefinition) {
    this.#definition = definition;
    attachDefinition(this, definition);
  }

  /**
   * Runs the function in a container (new or warm) with its secrets; needs a running app.
   * @example await app.run(async () => console.log(await someFunction.remote()));
   */
  async remote(...args: Args): Promise<Awaited<R>> {
    const run = activeRun();
    if (!run || !isLocal()) {
      const name = this.#definition.fn.name || "function";
      throw new InvalidError(
        isLocal()
          ? `${name}.remote() needs a running app: call it inside \`await app.run(async () => { … })\` or start the file with \`lockbox run\``
          : `${name}.remote() cannot be called inside a container`,
      );
    }
    return (await run.call(this.#definition, args)) as Awaited<R>;
  }

  /**
   * Runs the function in this process, with this process's environment.
   * @example const value = await someFunction.local();
   */
  local(...args: Args): R {
    return (this.#definition.fn as (...args: Args) => R)(...args);
  }

  /**
   * Calls the function remotely once per input (each input is its one argument), all at once;
   * yields the results in input order.
   * @example for await (const square of squareFunction.map([1, 2, 3])) console.log(square);
   */
  map(inputs: Iterable<Args[0]> | AsyncIterable<Args[0]>): AsyncGenerator<Awaited<R>, void, undefined> {
    return mapCalls(inputs, (input) => this.remote(...([input] as Args)), activeRun()?.mapLimit);
  }
}
