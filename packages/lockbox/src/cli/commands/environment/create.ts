import { quote } from "@lockbox/server/shared";
import { print } from "../../output.js";
import { withApi } from "../../with-api.js";

/** `lockbox environment create NAME` */
export async function createEnvironment(name: string): Promise<void> {
  await withApi((api) => api.environments.create(name));
  print(`Created environment ${quote(name)}`);
}
