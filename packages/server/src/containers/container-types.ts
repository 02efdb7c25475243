import type { Writable } from "node:stream";
import type { ErrorCode } from "../shared/errors.js";
import type { NetworkMode } from "../shared/rules.js";
import type { Payload } from "./payload.js";

/** `sandbox`: bubblewrap namespaces; `process`: a child process with a cleared environment. */
export type ContainerBackendName = "sandbox" | "process";

/** One of a function's `files`: a host copy (container-folder.ts) that the container sees read-only at `containerPath`. */
export interface FileMount {
  containerPath: string;
  hostPath: string;
}

/** Everything needed to start one container for one function. */
export interface ContainerSpec {
  /** Absolute path of the user's ESM bundle in its container folder (container-folder.ts), which the container sees read-only. */
  bundlePath: string;
  /** The function's index in the registry the bundle fills (see shared/container-markers.ts). */
  functionIndex: number;
  /** For messages: `someFunction`. */
  functionName: string;
  /** The merged secrets; the container's environment is a small base plus exactly these. */
  env: Record<string, string>;
  /** Names of the secrets `env` came from (`db-creds`), in merge order, for messages that must name them. */
  sources?: string[] | undefined;
  /** Values replaced by `***` in the container's output; empty when masking is off. */
  maskValues: string[];
  /** When set, the container takes no call after this time (epoch ms): its identity token would expire too soon. */
  reuseUntilMs?: number | undefined;
  /** Per call: a call that runs longer is killed and fails with `FunctionTimeoutError`. */
  timeoutMs: number;
  /** `outbound`: TCP and UDP out (user-mode networking), the host's loopback unreachable; `none`: loopback only. The `process` backend has the host's network. */
  network: NetworkMode;
  /** Size of the private `/tmp` (also `HOME`), in MiB; also the largest file a process may write. */
  tmpMb: number;
  /** The function's `files`, bound read-only where it reads them; the `process` backend refuses them. */
  files?: readonly FileMount[] | undefined;
}

/** Where a container's stdout and stderr go, as they are written. */
export interface ContainerOutput {
  stdout: Writable;
  stderr: Writable;
}

/** How a call got its container: `cold` spawned for it, `spare` started ahead, `warm` an idle one reused. */
export type ContainerSource = "cold" | "spare" | "warm";

/** How a call ended: `ok`, `cancelled` by its caller, or the code of the error it failed with. */
export type CallOutcome = "ok" | "cancelled" | ErrorCode;

/** What a pool reports as it works (the server's metrics); no name, key or value in it. */
export interface ContainerPoolEvents {
  containerFound(source: ContainerSource): void;
  callEnded(outcome: CallOutcome): void;
}

export interface ContainerPoolOptions {
  /** Callers pass `LOCKBOX_CONTAINER`; default: `sandbox` when bubblewrap works here, else `process`. */
  backend?: ContainerBackendName | undefined;
  output: ContainerOutput;
  /** Told of each call's container and outcome, as they happen. */
  events?: ContainerPoolEvents | undefined;
  /** At most this many containers run at once for one key (default: 2 × CPU count). */
  maxContainersPerKey?: number | undefined;
  /**
   * At most this many containers live at once, starting, busy or idle, all keys together
   * (default: no limit); a call past it stops an idle container of another key, or waits.
   */
  maxContainers?: number | undefined;
  /** Calls that may wait for a container, all workspaces together (default: 4 × `maxContainers`). */
  maxQueuedCalls?: number | undefined;
}

/** How one call is made. */
export interface CallOptions {
  /** Also receives this call's output, masked, as it is written (the pool's `output` still gets it too). */
  onOutput?: ((stream: "stdout" | "stderr", chunk: Buffer) => void) | undefined;
  /** The container masks the spec's `maskValues` in the result too, before it leaves. */
  maskResult?: boolean | undefined;
  /** Aborting it ends the call: a running call's container is stopped, a waiting call leaves its queue. */
  signal?: AbortSignal | undefined;
  /**
   * Whose call this is, for the share of the pool's containers: a freed place goes to the waiting
   * call whose workspace holds the fewest. Keys of different workspaces must differ.
   */
  workspace?: string | undefined;
  /**
   * What `key` is one version of: a function of a deploy or a run, whatever the versions of its
   * code and secrets. Calls ask only for a lineage's newest versions, so once a container starts
   * for `key`, the lineage's containers of other keys are stale: stopped when idle, or once done.
   */
  lineage?: string | undefined;
}

/** What a pool holds now. */
export interface ContainerPoolStats {
  /** Live containers: starting, busy or idle. */
  containers: number;
  /** Calls waiting for a container. */
  queued: number;
}

export interface ContainerPool {
  readonly backend: ContainerBackendName;
  /**
   * Runs `fn(...args)` in an idle warm container made for `key`, or in a new one whose spec
   * `start()` gives (called only when a container must start: it resolves the secrets).
   * Rejects with `RemoteError` when the function throws, `FunctionTimeoutError` on timeout, and
   * `ResourceExhaustedError` when it would wait for a container and too many calls wait already.
   */
  call(
    key: string,
    start: () => Promise<ContainerSpec>,
    args: unknown[],
    options?: CallOptions,
  ): Promise<unknown>;
  /** `call` with arguments and result as payloads, which this process passes through undecoded. */
  callPayload(
    key: string,
    start: () => Promise<ContainerSpec>,
    args: Payload,
    options?: CallOptions,
  ): Promise<Payload>;
  stats(): ContainerPoolStats;
  /**
   * Stops every container and spare of the bundle at `bundlePath`, idle or busy (a busy one's
   * call fails), and starts none for it again: for code that must not outlive its run.
   */
  retire(bundlePath: string): Promise<void>;
  /** Stops every container. */
  close(): Promise<void>;
}
