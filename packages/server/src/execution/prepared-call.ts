import type {
  ContainerPool,
  ContainerSpec,
  FileMount,
  CallOptions as PoolCallOptions,
} from "../containers/container-types.js";
import type { Payload } from "../containers/payload.js";
import type { Actor } from "../services/actor.js";
import { auditEntry } from "../services/audit-record.js";
import type { ReadLog } from "../services/read-log.js";
import type { SecretService } from "../services/secret-service.js";
import { limits, type NetworkMode, networkDefault } from "../shared/rules.js";
import {
  type CallLayer,
  type LayerRef,
  layerEnvironment,
  pinLayers,
  pinnedVersions,
  type ReadForContainer,
  type ReadForTarget,
} from "./call-layers.js";
import type { IdentityMinter } from "./function-identity.js";

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
interface ContainerFunction {
  index: number;
  name: string;
  timeoutMs?: number | undefined;
  network?: NetworkMode | undefined;
  tmpMb?: number | undefined;
}

/** Whose container it is, for its identity token: the actor, and the function's environment and app. */
interface ContainerOwner {
  actor: Actor;
  environment: string;
  app: string;
  run?: string | undefined;
}

/**
 * What starts a container for `fn`: its layers read (audited) only then, its identity token
 * minted, every value and the token masked (unless `mask` is false).
 */
function specStarter(
  readForContainer: ReadForContainer,
  identity: IdentityMinter | undefined,
  owner: ContainerOwner,
  code: { bundlePath: string; files: readonly FileMount[] },
  fn: ContainerFunction,
  layers: readonly CallLayer[],
  mask = true,
): () => Promise<ContainerSpec> {
  return async () => {
    const timeoutMs = fn.timeoutMs ?? limits.timeoutDefaultMs;
    const { env, sources, maskValues } = await layerEnvironment(readForContainer, owner.actor, layers);
    const { environment, app, run } = owner;
    const token = await identity?.(owner.actor, { environment, run, app, function: fn.name }, timeoutMs);
    return {
      bundlePath: code.bundlePath,
      functionIndex: fn.index,
      functionName: fn.name,
      // The server's token wins over a secret's key of the same name: it is the server's to give.
      env: { ...env, ...token?.env },
      sources,
      maskValues: mask ? [...maskValues, ...(token ? [token.token] : [])] : [],
      ...(token ? { reuseUntilMs: token.reuseUntilMs } : {}),
      timeoutMs,
      network: fn.network ?? networkDefault,
      tmpMb: fn.tmpMb ?? limits.tmpMbDefault,
      files: code.files,
    };
  };
}

/** What calls of this server's functions, deployed or of a run, are made with. */
export interface CallDeps {
  secrets: Pick<SecretService, "get">;
  readLog: ReadLog;
  readForContainer: ReadForTarget;
  /** Gives each container its `LOCKBOX_IDENTITY_TOKEN`; absent: none. */
  identity?: IdentityMinter | undefined;
  containers(): ContainerPool;
}

/** One call of a function, deployed or of a run: who calls it, what it is, and where its code is. */
interface CallPlan {
  actor: Actor;
  environment: string;
  /** The app that defines the function (of a deploy or a run): its identity token names it. */
  app: string;
  /** The run's tag, for a run's function: its identity token names it, so a run never passes for a deploy. */
  run?: string | undefined;
  /** `APP/FUNCTION`, or `run_TAG/FUNCTION`: the audit entries' target. */
  target: string;
  /** The deploy's version, for its entry and answer. */
  version?: number | undefined;
  /** What the function is, whatever the versions of its code and secrets: the pool's lineage. */
  lineage: readonly unknown[];
  /** The versions of its code: with the secrets' versions, what its warm containers are kept for. */
  codeVersion: readonly unknown[];
  fn: ContainerFunction;
  layers: readonly LayerRef[];
  code: () => Promise<{ bundlePath: string; files: readonly FileMount[] }>;
  mask: boolean;
}

/**
 * Pins the call's named layers at their current versions (a missing secret or key fails here),
 * audits it as `function.call`, and readies its run in a warm container of the same versions
 * or a new one, whose start reads the pinned versions on the caller's behalf.
 */
export async function prepareCall(deps: CallDeps, plan: CallPlan): Promise<PreparedCall> {
  const { actor, environment, target, version, fn, mask } = plan;
  const layers = await pinLayers(deps.secrets, actor, environment, plan.layers);
  await deps.readLog.write({
    entries: [auditEntry(actor, { action: "function.call", environment, target, version })],
    used: [],
  });
  const code = await plan.code();
  const lineage = JSON.stringify([actor.workspaceId, ...plan.lineage]);
  const key = JSON.stringify([lineage, ...plan.codeVersion, pinnedVersions(layers)]);
  const read: ReadForContainer = (reader, input) => deps.readForContainer(reader, input, target);
  const owner = { actor, environment, app: plan.app, run: plan.run };
  const start = specStarter(read, deps.identity, owner, code, fn, layers, mask);
  return {
    version,
    run: (args, options = {}) =>
      deps.containers().callPayload(key, start, args, {
        ...options,
        maskResult: mask,
        workspace: actor.workspaceId,
        lineage,
      }),
  };
}
