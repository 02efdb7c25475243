import { createHash } from "node:crypto";
import type { LockboxApi } from "@lockbox/server";
import type { CallTarget, InlineSource, NamedSource, SecretSource } from "./definitions.js";

/** A named layer, checked against the store: its current version, for the warm-container key. */
export interface CheckedNamed extends NamedSource {
  environment: string;
  version: number;
}

/** A function's layers, ready to start a container: named ones checked, inline ones read. */
export type PreparedLayer =
  | { kind: "named"; secret: CheckedNamed }
  | { kind: "inline"; label: string; values: Record<string, string> };

export { mergeLayers } from "@lockbox/server/shared";

/** What a layer is called in a message: the secret's name, or a label of keys. */
export const layerLabel = (layer: PreparedLayer): string =>
  layer.kind === "named" ? layer.secret.name : layer.label;

/**
 * Looks up every named layer (a missing secret or key fails here, before any container starts)
 * and reads every inline one; `loadInline` lets a run read each ephemeral secret once.
 */
export async function prepareLayers(
  api: Pick<LockboxApi, "secrets">,
  environment: string,
  layers: readonly SecretSource[],
  loadInline: (source: InlineSource) => Promise<Record<string, string>>,
): Promise<PreparedLayer[]> {
  const settled = await Promise.allSettled(
    layers.map(async (source): Promise<PreparedLayer> => {
      if (source.kind === "inline") {
        const values = await loadInline(source);
        return { kind: "inline", label: source.label, values };
      }
      const env = source.environment ?? environment;
      const info = await api.secrets.get({
        environment: env,
        name: source.name,
        requiredKeys: source.requiredKeys,
      });
      return { kind: "named", secret: { ...source, environment: env, version: info.version } };
    }),
  );
  // The first failure in merge order, whichever finished first: the same message every time.
  const failed = settled.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<PreparedLayer>).value);
}

/**
 * The warm-container key: same bundle, function, sandbox shape, named versions and inline values.
 * The inline values enter only as a SHA-256, kept in memory.
 */
export function containerKey(
  {
    bundlePath,
    functionIndex,
    sandbox,
    files = [],
  }: Pick<CallTarget, "bundlePath" | "functionIndex" | "sandbox" | "files">,
  layers: readonly PreparedLayer[],
): string {
  const hash = createHash("sha256");
  const named: string[] = [];
  for (const layer of layers) {
    if (layer.kind === "named")
      named.push(`${layer.secret.environment}/${layer.secret.name}@${layer.secret.version}`);
    else hash.update(JSON.stringify(Object.entries(layer.values))).update("\0");
  }
  const shape = `${sandbox.network}/${sandbox.tmpMb}/${JSON.stringify(files)}`;
  return `${bundlePath}#${functionIndex}|${shape}|${named.join(",")}|${hash.digest("hex")}`;
}
