import type {
  ContainerSpec,
  FileMount,
  CallOptions as PoolCallOptions,
} from "../containers/container-types.js";
import type { Payload } from "../containers/payload.js";
import type { Actor } from "../services/actor.js";
import { limits, type NetworkMode, networkDefault } from "../shared/rules.js";
import { type CallLayer, layerEnvironment, type ReadForContainer } from "./call-layers.js";

/** How a call is made: where its masked output goes as it is written, and what cancels it. */
export type CallOptions = Pick<PoolCallOptions, "onOutput" | "signal">;

/** A call checked, audited and ready to run (on the deploy `version`, for a deployed function). */
export interface PreparedCall {
  version?: number | undefined;
  /**
   * Runs it with `args`, passed to the container as they are; the result comes back in the same
   * encoding, masked in the container.
   */
  run(args: Payload, options?: CallOptions): Promise<Payload>;
}

/** A function as far as its container goes: where it is in the bundle, and its sandbox. */
export interface ContainerFunction {
  index: number;
  name: string;
  timeoutMs?: number | undefined;
  network?: NetworkMode | undefined;
  tmpMb?: number | undefined;
}

/** What starts a container for `fn`: its layers read (audited) only then, every value masked (unless `mask` is false). */
export function specStarter(
  readForContainer: ReadForContainer,
  actor: Actor,
  code: { bundlePath: string; files: readonly FileMount[] },
  fn: ContainerFunction,
  layers: readonly CallLayer[],
  mask = true,
): () => Promise<ContainerSpec> {
  return async () => ({
    bundlePath: code.bundlePath,
    functionIndex: fn.index,
    functionName: fn.name,
    ...(await layerEnvironment(readForContainer, actor, layers)),
    ...(mask ? {} : { maskValues: [] }),
    timeoutMs: fn.timeoutMs ?? limits.timeoutDefaultMs,
    network: fn.network ?? networkDefault,
    tmpMb: fn.tmpMb ?? limits.tmpMbDefault,
    files: code.files,
  });
}
