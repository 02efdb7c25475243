import { quote } from "@lockbox/server/shared";
import { confirmDeletion } from "../../confirm.js";
import { print } from "../../output.js";
import { withApi } from "../../with-api.js";

/** `lockbox environment delete NAME`: deletes every secret in it too, so it asks first unless `--yes`. */
export async function deleteEnvironment(name: string, options: { yes?: boolean }): Promise<void> {
  await confirmDeletion(`the environment ${quote(name)} and every secret in it`, options.yes);
  await withApi((api) => api.environments.delete(name));
  print(`Deleted environment ${quote(name)}`);
}
