import { quote } from "@lockbox/server/shared";
import { print } from "../../output.js";
import { withApi } from "../../with-api.js";

/** `lockbox token revoke ID` */
export async function revokeToken(id: string): Promise<void> {
  await withApi((api) => api.tokens.revoke(id));
  print(`Revoked token ${quote(id)}`);
}
