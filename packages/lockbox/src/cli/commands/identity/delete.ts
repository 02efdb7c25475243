import { quote } from "@lockbox/server/shared";
import { confirmDeletion } from "../../confirm.js";
import { print } from "../../output.js";
import { withApi } from "../../with-api.js";

/** `lockbox identity delete NAME`: asks first unless `--yes`. */
export async function deleteIdentity(name: string, options: { yes?: boolean }): Promise<void> {
  await confirmDeletion(`the identity ${quote(name)}`, options.yes);
  await withApi((api) => api.identities.delete(name));
  print(`Deleted identity ${quote(name)}`);
}
