import type { LockboxApi } from "@lockbox/server";
import { InvalidError, quote } from "@lockbox/server/shared";
import type { AppDefinition, SecretSource } from "./definitions.js";

/** A function as a deploy stores it: secret names and keys, never values. */
export type DeployedFunction = Parameters<LockboxApi["apps"]["deploy"]>[0]["functions"][number];
type DeployedSecret = DeployedFunction["secrets"][number];

function reference(source: SecretSource, where: string): DeployedSecret {
  if (source.kind === "inline") {
    // Its values exist only in the deployer's process; a caller's container could never get them.
    throw new InvalidError(
      `${where} uses ${source.label}, an ephemeral secret, and cannot be deployed: store the values in a named secret (lockbox secret create NAME KEY=VALUE …) and use Secret.fromName("NAME")`,
    );
  }
  const { name, environment, requiredKeys } = source;
  return {
    name,
    ...(environment === undefined ? {} : { environment }),
    ...(requiredKeys.length === 0 ? {} : { requiredKeys: [...requiredKeys] }),
  };
}

/**
 * What a deploy stores for each exported function of `app`: its layers (the app's secrets then
 * its own, in order, as named references), its `env`, its timeout and its sandbox's shape. An ephemeral secret is an
 * `InvalidError` naming the function.
 * @example deployedFunctions(app, names, base) // [{ name: "f", index: 0, secrets: [{ name: "db" }], timeoutMs: 300000 }]
 */
export function deployedFunctions(
  app: AppDefinition,
  names: ReadonlyMap<number, string>,
  base: number,
): DeployedFunction[] {
  return app.functions.flatMap((definition) => {
    const index = definition.index - base;
    const name = names.get(index);
    if (name === undefined) return [];
    const where = `Function ${quote(name)} of app ${quote(app.name ?? "")}`;
    const secrets = definition.secrets.map((source) => reference(source, where));
    const env = definition.env === undefined ? {} : { env: { ...definition.env } };
    const { timeoutMs, sandbox } = definition;
    return [{ name, index, secrets, ...env, timeoutMs, network: sandbox.network, tmpMb: sandbox.tmpMb }];
  });
}
