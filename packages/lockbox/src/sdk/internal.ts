import type { FileMount } from "@lockbox/server/containers";
import { limits, type NetworkMode } from "@lockbox/server/shared";

/**
 * What the SDK's objects carry for the runner, out of the public API. The keys are symbols in the
 * global registry, so a secret or handle made by one copy of the SDK (a user's bundle) is read by
 * another (the CLI's), as `container-markers.ts` does for the registry.
 */

/** A named secret, looked up when the app runs. */
export interface NamedSource {
  kind: "named";
  name: string;
  environment?: string | undefined;
  requiredKeys: string[];
}

/** An ephemeral secret: values read in the caller's process, never stored. */
export interface InlineSource {
  kind: "inline";
  /** For messages: `Secret.fromDict([FOO, BAR])`; keys and paths, never values. */
  readonly label: string;
  load(): Promise<Record<string, string>>;
}

export type SecretSource = NamedSource | InlineSource;

/** Default `timeoutMs` of a function: five minutes per call. */
export const defaultTimeoutMs = limits.timeoutDefaultMs;

/** How a function's container is made: its network and the size of its private /tmp. */
export interface SandboxShape {
  network: NetworkMode;
  tmpMb: number;
}

/** A function given to `app.function`, with what a call needs to start its container. */
export interface FunctionDefinition {
  /** Position in `functionRegistry()` of the process that defined it. */
  index: number;
  fn: (...args: never[]) => unknown;
  /** App secrets, then the function's secrets, in order. */
  secrets: readonly SecretSource[];
  /** The `env` option, checked; applied after every secret. */
  env: Readonly<Record<string, string>> | undefined;
  /** `secrets`, then `env` as one more layer; later wins per key. */
  layers: readonly SecretSource[];
  timeoutMs: number;
  sandbox: SandboxShape;
  /** The `files` option, checked: container path → local path, read when the app runs or deploys. */
  files: Readonly<Record<string, string>> | undefined;
}

/** An `App` as the runner sees it. */
export interface AppDefinition {
  name: string | undefined;
  functions: FunctionDefinition[];
  localEntrypoints: ((...args: never[]) => unknown)[];
}

/** A function of some bundle, as a container runs it. */
export interface CallTarget {
  bundlePath: string;
  /** Index in the registry the bundle fills in a fresh process. */
  functionIndex: number;
  functionName: string;
  layers: readonly SecretSource[];
  timeoutMs: number;
  sandbox: SandboxShape;
  /** The function's files, copied out for the container, bound read-only at their paths. */
  files?: readonly FileMount[] | undefined;
  /** For named secrets without one: default, the run's environment. */
  environment?: string | undefined;
}

/** What runs a function call in a container: the app run in progress. */
export interface RunContext {
  /** The module the run bundled. */
  readonly entryFile: string;
  /** In server mode, deployed functions run in containers here (`lockbox run --local`), not on the server. */
  readonly local: boolean;
  /** Calls in flight at once for a `.map` (default: all at once); a run on a server keeps fewer. */
  readonly mapLimit?: number | undefined;
  call(definition: FunctionDefinition, args: unknown[]): Promise<unknown>;
  callTarget(target: CallTarget, args: unknown[]): Promise<unknown>;
}

const secretSourceKey = Symbol.for("lockbox.secretSource");
const definitionKey = Symbol.for("lockbox.functionDefinition");
const activeRunKey = Symbol.for("lockbox.activeRun");
const appsKey = Symbol.for("lockbox.apps");
const inspectingKey = Symbol.for("lockbox.inspecting");

type Slots = Record<symbol, unknown>;

function attach(target: object, key: symbol, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: false });
}

export const attachSecretSource = (secret: object, source: SecretSource) =>
  attach(secret, secretSourceKey, source);

/** The source behind a `Secret`, or undefined for anything that is not one. */
export function secretSource(value: unknown): SecretSource | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  return (value as Slots)[secretSourceKey] as SecretSource | undefined;
}

export const attachDefinition = (handle: object, definition: FunctionDefinition) =>
  attach(handle, definitionKey, definition);

/** The definition behind a function handle, or undefined for anything else. */
export function functionDefinition(value: unknown): FunctionDefinition | undefined {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return undefined;
  return (value as Slots)[definitionKey] as FunctionDefinition | undefined;
}

/** The app run in progress in this process, if any. */
export function activeRun(): RunContext | undefined {
  return (globalThis as unknown as Slots)[activeRunKey] as RunContext | undefined;
}

export function setActiveRun(run: RunContext | undefined): void {
  (globalThis as unknown as Slots)[activeRunKey] = run;
}

/** Every `App` made in this process, in order. */
export function appRegistry(): AppDefinition[] {
  const slots = globalThis as unknown as Record<symbol, AppDefinition[] | undefined>;
  slots[appsKey] ??= [];
  return slots[appsKey];
}

/** True while a deploy imports the deployer's bundle only to read its apps: `app.run` and `app.deploy` do nothing then. */
export function inspecting(): boolean {
  return ((globalThis as unknown as Slots)[inspectingKey] as number | undefined) !== undefined;
}

/** Counts inspecting imports in progress, so overlapping deploys do not end each other's. */
export function setInspecting(value: boolean): void {
  const slots = globalThis as unknown as Slots;
  const count = ((slots[inspectingKey] as number | undefined) ?? 0) + (value ? 1 : -1);
  slots[inspectingKey] = count > 0 ? count : undefined;
}
