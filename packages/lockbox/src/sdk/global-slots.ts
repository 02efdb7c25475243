import type { AppDefinition, FunctionDefinition, RunContext, SecretSource } from "./definitions.js";

// Values kept under symbols of the global registry, so that what one copy of the SDK (a user's
// bundle) made is read by another (the CLI's), as `container-markers.ts` does for the registry.

type Slots<T> = Record<symbol, T | undefined>;

/** One value of this process, shared by every copy of the SDK in it. */
function processSlot<T>(name: string) {
  const key = Symbol.for(`lockbox.${name}`);
  const slots = globalThis as unknown as Slots<T>;
  return {
    get: (): T | undefined => slots[key],
    set: (value: T | undefined) => {
      slots[key] = value;
    },
  };
}

/** A value attached to objects, out of sight of their enumeration. */
function objectSlot<T>(name: string) {
  const key = Symbol.for(`lockbox.${name}`);
  return {
    attach: (target: object, value: T) => Object.defineProperty(target, key, { value, enumerable: false }),
    /** What `value` carries, or undefined for anything that carries none. */
    of: (value: unknown): T | undefined =>
      (typeof value === "object" || typeof value === "function") && value !== null
        ? (value as Slots<T>)[key]
        : undefined,
  };
}

const sources = objectSlot<SecretSource>("secretSource");
const definitions = objectSlot<FunctionDefinition>("functionDefinition");
const run = processSlot<RunContext>("activeRun");
const apps = processSlot<AppDefinition[]>("apps");
const inspections = processSlot<number>("inspecting");

export const attachSecretSource = (secret: object, source: SecretSource) =>
  void sources.attach(secret, source);

/** The source behind a `Secret`, or undefined for anything that is not one. */
export const secretSource = sources.of;

export const attachDefinition = (handle: object, definition: FunctionDefinition) =>
  void definitions.attach(handle, definition);

/** The definition behind a function handle, or undefined for anything else. */
export const functionDefinition = definitions.of;

/** The app run in progress in this process, if any. */
export const activeRun = run.get;

export const setActiveRun = run.set;

/** Every `App` made in this process, in order. */
export function appRegistry(): AppDefinition[] {
  const made = apps.get() ?? [];
  apps.set(made);
  return made;
}

/** True while a deploy imports the deployer's bundle only to read its apps: `app.run` and `app.deploy` do nothing then. */
export const inspecting = (): boolean => inspections.get() !== undefined;

/** Counts inspecting imports in progress, so overlapping deploys do not end each other's. */
export function setInspecting(value: boolean): void {
  const count = (inspections.get() ?? 0) + (value ? 1 : -1);
  inspections.set(count > 0 ? count : undefined);
}
