import { quote, readAllPages } from "@lockbox/server/shared";
import { resolveEnvironment } from "../../../client/settings.js";
import { formatTime, print, printJson, printTable } from "../../output.js";
import { withApi } from "../../with-api.js";

interface ListSecretsOptions {
  env?: string;
  json?: boolean;
}

/** `lockbox secret list` */
export async function listSecrets(options: ListSecretsOptions): Promise<void> {
  const environment = resolveEnvironment(options.env);
  const secrets = await withApi((api) =>
    readAllPages(
      (limit, createdBefore: string | undefined) => api.secrets.list({ environment, limit, createdBefore }),
      (last) => last.createdAt,
    ),
  );
  if (options.json) {
    printJson(
      secrets.map(({ name, createdAt, createdBy, lastUsedAt }) => ({
        name,
        createdAt,
        createdBy,
        lastUsedAt,
      })),
    );
  } else if (secrets.length === 0) {
    print(
      `No secrets in environment ${quote(environment)} yet. Create one with: lockbox secret create NAME KEY=VALUE`,
    );
  } else {
    print(`Secrets in environment ${quote(environment)}`, "");
    printTable(
      ["Name", "Created at", "Created by", "Last used at"],
      secrets.map((secret) => [
        secret.name,
        formatTime(secret.createdAt),
        secret.createdBy,
        formatTime(secret.lastUsedAt),
      ]),
    );
  }
}
