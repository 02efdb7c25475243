import { quote } from "@lockbox/server/shared";
import { resolveEnvironment } from "../../../client/settings.js";
import { confirmDeletion } from "../../confirm.js";
import { print } from "../../output.js";
import { withApi } from "../../with-api.js";

interface DeleteSecretOptions {
  env?: string;
  yes?: boolean;
  allowMissing?: boolean;
}

/** `lockbox secret delete NAME`: asks first unless `--yes`. */
export async function deleteSecret(name: string, options: DeleteSecretOptions): Promise<void> {
  const environment = resolveEnvironment(options.env);
  const where = `${quote(name)} in environment ${quote(environment)}`;
  await confirmDeletion(`the secret ${where}`, options.yes);
  const { deleted } = await withApi((api) =>
    api.secrets.delete({ environment, name, allowMissing: options.allowMissing ?? false }),
  );
  print(deleted ? `Deleted the secret ${where}` : `There is no secret ${where}; nothing to delete`);
}
