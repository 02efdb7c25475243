import type { LockboxApi } from "@lockbox/server";
import { InternalError } from "@lockbox/server/shared";
import { type CheckedNamed, layerLabel, mergeLayers, type PreparedLayer } from "./secret-layers.js";

/** Grants last just long enough to start a container. */
const grantTtlSeconds = 60;

/**
 * The values of the named layers, read with one short-lived grant per environment: a credential
 * that can read exactly these secrets, once. The caller's own token never enters a container.
 */
async function readNamed(
  api: Pick<LockboxApi, "grants" | "redeemGrant">,
  named: readonly CheckedNamed[],
): Promise<Map<CheckedNamed, Record<string, string>>> {
  const byEnvironment = new Map<string, CheckedNamed[]>();
  for (const secret of named) {
    const group = byEnvironment.get(secret.environment) ?? [];
    byEnvironment.set(secret.environment, [...group, secret]);
  }
  const values = new Map<CheckedNamed, Record<string, string>>();
  for (const [environment, secrets] of byEnvironment) {
    const grant = await api.grants.create({
      environment,
      secrets: secrets.map(({ name, requiredKeys }) => ({ name, requiredKeys })),
      ttlSeconds: grantTtlSeconds,
    });
    const resolved = await api.redeemGrant(grant.token);
    secrets.forEach((secret, position) => {
      const found = resolved[position];
      if (found?.name !== secret.name)
        throw new InternalError(`The grant did not return secret '${secret.name}'`);
      values.set(secret, found.values);
    });
  }
  return values;
}

/** The merged environment for a container, and the names of the layers it came from. */
export async function containerEnvironment(
  api: Pick<LockboxApi, "grants" | "redeemGrant">,
  layers: readonly PreparedLayer[],
): Promise<{ env: Record<string, string>; sources: string[] }> {
  const named = layers.flatMap((layer) => (layer.kind === "named" ? [layer.secret] : []));
  const values = await readNamed(api, named);
  const env = mergeLayers(
    layers.map((layer) => (layer.kind === "named" ? (values.get(layer.secret) ?? {}) : layer.values)),
  );
  return { env, sources: layers.map(layerLabel) };
}
