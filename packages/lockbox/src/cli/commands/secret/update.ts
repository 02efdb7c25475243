import { InvalidError, quote } from "@lockbox/server/shared";
import { resolveEnvironment } from "../../../client/settings.js";
import { parseKeyValues } from "../../key-values.js";
import { print, quoteAll } from "../../output.js";
import { withApi } from "../../with-api.js";

interface UpdateSecretOptions {
  env?: string;
  unset?: string[];
}

/** `lockbox secret update NAME [KEY=VALUE...] [--unset KEY...]`: merges into the current values. */
export async function updateSecret(
  name: string,
  pairs: string[],
  options: UpdateSecretOptions,
): Promise<void> {
  const environment = resolveEnvironment(options.env);
  const unset = options.unset ?? [];
  if (pairs.length === 0 && unset.length === 0) {
    throw new InvalidError("Nothing to update: give KEY=VALUE pairs to set, or --unset KEY to remove a key");
  }
  // A mistyped `--unset KEY=VALUE` must not put the value in an error message.
  if (unset.some((key) => key.includes("=")))
    throw new InvalidError("--unset takes a key name, not KEY=VALUE");
  const set = await parseKeyValues(pairs);
  const secret = await withApi((api) => api.secrets.update({ environment, name, set, unset }));
  const keys = secret.keys.length === 0 ? "no keys" : `the keys ${quoteAll(secret.keys)}`;
  print(
    `Updated secret ${quote(name)} in environment ${quote(environment)}: version ${secret.version}, with ${keys}`,
  );
}
