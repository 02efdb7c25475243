/**
 * How the SDK and the container runtime find each other without importing each other: both read
 * and write these global slots (symbols in the global registry, so every copy of the SDK agrees).
 */

/** Set to `true` by the container runtime before it imports the user's bundle: `isLocal()` is false. */
export const insideContainerSymbol = Symbol.for("lockbox.insideContainer");

/**
 * Every function passed to `app.function`, in the order the module defined them. The same module
 * evaluated in a container defines them in the same order, so an index names a function in both.
 */
const functionRegistrySymbol = Symbol.for("lockbox.functions");

type Registry = Array<(...args: never[]) => unknown>;

/** The functions registered so far in this process. */
export function functionRegistry(): Registry {
  const slots = globalThis as unknown as Record<symbol, Registry | undefined>;
  slots[functionRegistrySymbol] ??= [];
  return slots[functionRegistrySymbol];
}

/** Whether this process is a Lockbox container. */
export function insideContainer(): boolean {
  return (globalThis as unknown as Record<symbol, unknown>)[insideContainerSymbol] === true;
}
