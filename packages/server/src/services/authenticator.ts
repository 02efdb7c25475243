import { AuthenticationError } from "../shared/errors.js";
import type { TokenRow } from "../store/schema.js";
import type { Store } from "../store/store.js";
import { type Actor, parseRole } from "./actor.js";
import { findByToken } from "./token-credentials.js";

/** The actor of a token: its `tokenId` is always known. */
export type TokenActor = Actor & { tokenId: string };

// How often "last used at" is written for a token that is used constantly.
const touchIntervalMs = 60_000;

/** Whether a token may act at `now`: it exists, is not revoked and has not expired. */
function isTokenUsable(row: TokenRow | undefined, now: Date): row is TokenRow {
  return row !== undefined && !row.revokedAt && !(row.expiresAt && row.expiresAt <= now.toISOString());
}

/** Turns a token (by value, or by id for a session that stands for it) into the actor it stands for. */
export function createAuthenticator(deps: { store: Pick<Store, "tokens"> }) {
  const { store } = deps;

  /** Unknown, expired and revoked tokens are refused alike, with one message. */
  async function admit(row: TokenRow | undefined, source: Actor["source"]): Promise<TokenActor> {
    const now = new Date();
    if (!isTokenUsable(row, now)) {
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
      environment: row.environment,
      source,
    };
  }

  return {
    /** By the token's value: a bearer header or a sign-in. */
    byToken: async (value: string, source?: Actor["source"]) =>
      admit(await findByToken(value, store.tokens.findByHash), source),
    /** By the token's id: a session checks its token again on every request. */
    byTokenId: async (id: string, source?: Actor["source"]) => admit(await store.tokens.findById(id), source),
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
export type Authenticate = Authenticator["byToken"];
