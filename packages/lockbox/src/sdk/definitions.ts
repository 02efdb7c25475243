import type { FileMount } from "@lockbox/server/containers";
import { limits, type NetworkMode } from "@lockbox/server/shared";

// What the SDK's objects carry for the runner, out of the public API (global-slots.ts keeps them).

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
