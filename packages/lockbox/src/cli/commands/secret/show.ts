import { quote } from "@lockbox/server/shared";
import { resolveEnvironment } from "../../../client/settings.js";
import { formatTime, print, printJson } from "../../output.js";
import { withApi } from "../../with-api.js";

interface ShowSecretOptions {
  env?: string;
  reveal?: boolean;
  json?: boolean;
}

/** `lockbox secret show NAME`: keys and versions; values only with `--reveal`. */
export async function showSecret(name: string, options: ShowSecretOptions): Promise<void> {
  const environment = resolveEnvironment(options.env);
  const { secret, values } = await withApi(async (api) => {
    if (!options.reveal) return { secret: await api.secrets.get({ environment, name }), values: undefined };
    const revealed = await api.secrets.reveal({ environment, name });
    return { secret: revealed.secret, values: revealed.values };
  });
  if (options.json) {
    printJson(values === undefined ? secret : { ...secret, values });
    return;
  }
  print(
    `Secret ${quote(secret.name)} in environment ${quote(secret.environment)}`,
    "",
    `Version:       ${secret.version}`,
    `Created at:    ${formatTime(secret.createdAt)} by ${secret.createdBy}`,
    `Updated at:    ${formatTime(secret.updatedAt)}`,
    `Last used at:  ${formatTime(secret.lastUsedAt)}`,
    "",
    values === undefined ? "Keys:" : "Values:",
    ...secret.keys.map((key) => (values === undefined ? `  ${key}` : `  ${key}=${values[key] ?? ""}`)),
  );
}
