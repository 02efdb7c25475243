import { readAllPages } from "@lockbox/server/shared";
import { printJson, printTable } from "../../output.js";
import { withApi } from "../../with-api.js";

/** `lockbox identity list` */
export async function listIdentities(options: { json?: boolean }): Promise<void> {
  const identities = await withApi((api) =>
    readAllPages(
      (limit, after: string | undefined) => api.identities.list({ limit, after }),
      (last) => last.name,
    ),
  );
  if (options.json) {
    printJson(identities);
    return;
  }
  printTable(
    ["Name", "Issuer", "Subject", "Role", "Environment", "TTL"],
    identities.map((identity) => [
      identity.name,
      identity.issuer,
      identity.subject,
      identity.role,
      identity.environment ?? "all",
      `${identity.ttlSeconds} s`,
    ]),
  );
}
