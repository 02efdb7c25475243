import { AuthenticationError } from "../shared/errors.js";
import type { Store } from "../store/store.js";
import type { Actor } from "./actor.js";
import { findByToken, parseRole } from "./token-service.js";

// How often "last used at" is written for a token that is used constantly.
const touchIntervalMs = 60_000;

/** Turns a bearer token into the actor it stands for. */
export function createAuthenticator(deps: { store: Pick<Store, "tokens"> }) {
  const { store } = deps;
  /** Unknown, expired and revoked tokens are refused alike, with one message. */
  return async function authenticate(value: string, source?: Actor["source"]): Promise<Actor> {
    const row = await findByToken(value, store.tokens.findByHash);
    const now = new Date();
    if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now.toISOString())) {
      throw new AuthenticationError("The token is not valid: it is unknown, expired or revoked");
    }
    if (!row.lastUsedAt || now.getTime() - Date.parse(row.lastUsedAt) > touchIntervalMs) {
      await store.tokens.touch(row.id, now.toISOString());
    }
    return {
      workspaceId: row.workspaceId,
      name: row.name,
      tokenId: row.id,
      role: parseRole(row.role),
      canCreateWorkspaces: row.canCreateWorkspaces === 1,
      source,
    };
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
