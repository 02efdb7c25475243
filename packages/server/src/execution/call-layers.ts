import type { Actor } from "../services/actor.js";
import type { SecretService } from "../services/secret-service.js";
import type { ResolvedSecret, ResolveInput } from "../services/secret-types.js";
import { InternalError } from "../shared/errors.js";
import { mergeLayers, quote } from "../shared/rules.js";

/** A named secret of a function, where it is read and the version current at the call. */
interface PinnedSecret {
  name: string;
  environment: string;
  requiredKeys: string[];
  version: number;
}

/** A layer as a function names it: a named secret (default: the call's environment), or values given inline. */
export type LayerRef =
  | {
      kind: "named";
      name: string;
      environment?: string | undefined;
      requiredKeys?: readonly string[] | undefined;
    }
  | InlineLayer;

/** Values held in this server's memory only: a deployed function's `env`, or an ephemeral run's secret. */
interface InlineLayer {
  kind: "inline";
  /** For messages: keys and labels, never values. */
  label: string;
  values: Readonly<Record<string, string>>;
}

/** A call's layers in merge order, named ones pinned to the version current at the call. */
export type CallLayer = { kind: "named"; secret: PinnedSecret } | InlineLayer;

/** Reads pinned versions for a container started on the actor's behalf: audited as `container.start`. */
export type ReadForContainer = (actor: Actor, input: ResolveInput) => Promise<ResolvedSecret[]>;

/** `ReadForContainer` for the container of a call of `target` (`APP/FUNCTION`, or `run_TAG/FUNCTION`), which its entries name. */
export type ReadForTarget = (actor: Actor, input: ResolveInput, target: string) => Promise<ResolvedSecret[]>;

/** Looks up every named layer at its current version (a missing secret or key fails here, before any container). */
export async function pinLayers(
  secrets: Pick<SecretService, "get">,
  actor: Actor,
  environment: string,
  layers: readonly LayerRef[],
): Promise<CallLayer[]> {
  const pinned: CallLayer[] = [];
  for (const layer of layers) {
    if (layer.kind === "inline") {
      pinned.push(layer);
      continue;
    }
    const where = layer.environment ?? environment;
    const requiredKeys = [...(layer.requiredKeys ?? [])];
    const info = await secrets.get(actor, { environment: where, name: layer.name, requiredKeys });
    pinned.push({
      kind: "named",
      secret: { name: layer.name, environment: where, requiredKeys, version: info.version },
    });
  }
  return pinned;
}

/** The pinned versions of `layers`, for the warm-container key: containers are reused only for the same ones. */
export const pinnedVersions = (layers: readonly CallLayer[]) =>
  layers.flatMap((layer) =>
    layer.kind === "named" ? [[layer.secret.environment, layer.secret.name, layer.secret.version]] : [],
  );

/** The pinned reads of a container start, one audited read per environment, in the function's order. */
async function readPinned(
  readForContainer: ReadForContainer,
  actor: Actor,
  pinned: readonly PinnedSecret[],
): Promise<Record<string, string>[]> {
  const environments = [...new Set(pinned.map((secret) => secret.environment))];
  const byRef = new Map<PinnedSecret, Record<string, string>>();
  for (const environment of environments) {
    const group = pinned.filter((secret) => secret.environment === environment);
    const read = await readForContainer(actor, {
      environment,
      secrets: group.map(({ name, requiredKeys, version }) => ({ name, requiredKeys, version })),
    });
    group.forEach((secret, index) => {
      const found = read[index];
      if (found?.name !== secret.name) throw new InternalError(`Secret ${quote(secret.name)} was not read`);
      byRef.set(secret, found.values);
    });
  }
  return pinned.map((secret) => byRef.get(secret) ?? {});
}

/**
 * A container's environment from a call's layers, read as it starts: named ones through the one
 * audited server-side read, inline ones as held; merged in order, every value to mask.
 */
export async function layerEnvironment(
  readForContainer: ReadForContainer,
  actor: Actor,
  layers: readonly CallLayer[],
): Promise<{ env: Record<string, string>; sources: string[]; maskValues: string[] }> {
  const named = layers.flatMap((layer) => (layer.kind === "named" ? [layer.secret] : []));
  const read = await readPinned(readForContainer, actor, named);
  let next = 0;
  const values = layers.map((layer) => (layer.kind === "named" ? (read[next++] ?? {}) : layer.values));
  return {
    env: mergeLayers(values),
    sources: layers.map((layer) => (layer.kind === "named" ? layer.secret.name : layer.label)),
    maskValues: [...new Set(values.flatMap((layer) => Object.values(layer)))],
  };
}
