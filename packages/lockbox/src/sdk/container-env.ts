import type { LockboxApi } from "@lockbox/server";
import { InternalError, quote } from "@lockbox/server/shared";
import { resolveSecrets } from "../client/resolve-secrets.js";
import { type CheckedNamed, layerLabel, mergeLayers, type PreparedLayer } from "./secret-layers.js";

/**
 * The values of the named layers at exactly the versions checked (those the warm-container key
 * names): one read per environment, audited as a container start naming each secret and version.
 */
async function readNamed(
  api: Pick<LockboxApi, "secrets">,
  named: readonly CheckedNamed[],
): Promise<Map<CheckedNamed, Record<string, string>>> {
  const byEnvironment = new Map<string, CheckedNamed[]>();
  for (const secret of named) {
    const group = byEnvironment.get(secret.environment) ?? [];
    byEnvironment.set(secret.environment, [...group, secret]);
  }
  const values = new Map<CheckedNamed, Record<string, string>>();
  for (const [environment, secrets] of byEnvironment) {
    const resolved = await resolveSecrets(api, {
      environment,
      use: "container",
      secrets: secrets.map(({ name, requiredKeys, version }) => ({ name, requiredKeys, version })),
    });
    secrets.forEach((secret, position) => {
      const found = resolved[position];
      if (found?.name !== secret.name || found.version !== secret.version)
        throw new InternalError(`Secret ${quote(secret.name)} was not read at version ${secret.version}`);
      values.set(secret, found.values);
    });
  }
  return values;
}

/** The merged environment for a container, and the names of the layers it came from. */
export async function containerEnvironment(
  api: Pick<LockboxApi, "secrets">,
  layers: readonly PreparedLayer[],
): Promise<{ env: Record<string, string>; sources: string[] }> {
  const named = layers.flatMap((layer) => (layer.kind === "named" ? [layer.secret] : []));
  const values = await readNamed(api, named);
  const env = mergeLayers(
    layers.map((layer) => (layer.kind === "named" ? (values.get(layer.secret) ?? {}) : layer.values)),
  );
  return { env, sources: layers.map(layerLabel) };
}
