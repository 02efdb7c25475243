import type { TokenInfo } from "@lockbox/server";
import { readAllPages } from "@lockbox/server/shared";
import { formatTime, printJson, printTable } from "../../output.js";
import { withApi } from "../../with-api.js";

function status(token: TokenInfo): string {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && token.expiresAt <= new Date().toISOString()) return "expired";
  return "active";
}

/** `lockbox token list`: ids, names and roles; never values. */
export async function listTokens(options: { json?: boolean }): Promise<void> {
  const tokens = await withApi((api) =>
    readAllPages(
      (limit, after: string | undefined) => api.tokens.list({ limit, after }),
      (last) => last.id,
    ),
  );
  if (options.json) {
    printJson(tokens);
    return;
  }
  printTable(
    ["ID", "Name", "Role", "Workspace", "Environment", "Created at", "Expires at", "Last used at", "Status"],
    tokens.map((token) => [
      token.id,
      token.name,
      token.role,
      token.workspace,
      token.environment ?? "all",
      formatTime(token.createdAt),
      formatTime(token.expiresAt),
      formatTime(token.lastUsedAt),
      status(token),
    ]),
  );
}
