import { InvalidError, quote } from "@lockbox/server/shared";
import { resolveEnvironment } from "../../../client/settings.js";
import { print } from "../../output.js";
import { withApi } from "../../with-api.js";

interface RollbackSecretOptions {
  env?: string;
}

/** `lockbox secret rollback NAME VERSION`: a new version equal to an old one. */
export async function rollbackSecret(
  name: string,
  versionText: string,
  options: RollbackSecretOptions,
): Promise<void> {
  const environment = resolveEnvironment(options.env);
  const version = Number(versionText);
  if (!/^\d+$/.test(versionText) || !Number.isSafeInteger(version) || version < 1) {
    throw new InvalidError(
      "VERSION must be a positive whole number, such as 1 (see: lockbox secret history NAME)",
    );
  }
  const secret = await withApi((api) => api.secrets.rollback({ environment, name, version }));
  print(
    `Rolled back secret ${quote(name)} in environment ${quote(environment)} to version ${version}: now version ${secret.version}`,
  );
}
