import { InvalidError, NotFoundError, PermissionDeniedError } from "../shared/errors.js";
import { limits, pageSize, quote, type Role } from "../shared/rules.js";
import type { TokenRow } from "../store/schema.js";
import type { Store } from "../store/store.js";
import { type Actor, parseRole, requireRole } from "./actor.js";
import { recordAudit } from "./audit-record.js";
import { findEnvironment } from "./environment-lookup.js";
import { issueToken } from "./token-credentials.js";

/** A token as listed: never its value or hash. */
export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  workspace: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** The one environment the token may act in; null: all of its workspace's. */
  environment: string | null;
}

export interface CreateTokenInput {
  role?: Role | undefined;
  name?: string | undefined;
  workspace?: string | undefined;
  /** Limits the token to this environment (which must exist). */
  environment?: string | undefined;
  expiresInSeconds?: number | undefined;
}

/** A token limited to an environment sees and revokes only the tokens of that environment. */
const inScope = (actor: Actor, row: TokenRow) => !actor.environment || row.environment === actor.environment;

export function createTokenService(deps: { store: Pick<Store, "directory" | "tokens" | "transaction"> }) {
  const { store } = deps;

  /** The token a page starts after, as the actor may see it. */
  async function pageStart(actor: Actor, id: string): Promise<TokenRow> {
    const row = await store.tokens.get(actor.workspaceId, id);
    if (!row || !inScope(actor, row))
      throw new InvalidError(
        `No token ${quote(id)} to list after: give \`after\` the id of the last token of the page before`,
      );
    return row;
  }

  /** The token as listed, in the workspace named `workspace`. */
  function toInfo(row: TokenRow, workspace: string): TokenInfo {
    const { id, name, createdAt, createdBy, expiresAt, revokedAt, lastUsedAt, environment } = row;
    const role = parseRole(row.role);
    return { id, name, role, workspace, createdAt, createdBy, expiresAt, revokedAt, lastUsedAt, environment };
  }

  const workspaceName = async (id: string) => (await store.directory.getWorkspace(id))?.name ?? "";

  return {
    async create(actor: Actor, input: CreateTokenInput): Promise<{ token: TokenInfo; value: string }> {
      requireRole(actor, "admin", "create tokens");
      const role = parseRole(input.role ?? "developer");
      const lifetime = input.expiresInSeconds;
      if (
        lifetime !== undefined &&
        !(Number.isInteger(lifetime) && lifetime > 0 && lifetime <= limits.tokenMaxLifetimeSeconds)
      ) {
        throw new InvalidError(
          `expiresInSeconds must be a whole number of seconds from 1 to ${limits.tokenMaxLifetimeSeconds} (10 years)`,
        );
      }
      const { row, value } = await store.transaction(async (tx) => {
        let workspaceId = actor.workspaceId;
        if (input.workspace !== undefined) {
          const workspace = await tx.directory.findWorkspace(input.workspace);
          // Refused before "not found": a token must not learn which other workspaces exist.
          if (workspace?.id !== actor.workspaceId && !actor.canCreateWorkspaces) {
            throw new PermissionDeniedError("This token can only create tokens in its own workspace");
          }
          if (!workspace) throw new NotFoundError(`Workspace ${quote(input.workspace)} not found`);
          workspaceId = workspace.id;
        }
        const requested =
          input.expiresInSeconds === undefined
            ? null
            : new Date(Date.now() + input.expiresInSeconds * 1000).toISOString();
        // A short-lived token (an identity's) makes none that outlives it: else its TTL would limit nothing.
        const own = actor.tokenId === null ? undefined : (await tx.tokens.findById(actor.tokenId))?.expiresAt;
        const expiresAt = own && (requested === null || own < requested) ? own : requested;
        const name = input.name ?? `${role} token`;
        // A token limited to one environment makes tokens for that environment only.
        const environment = input.environment ?? actor.environment ?? undefined;
        if (environment !== undefined) {
          await findEnvironment(tx.directory, { ...actor, workspaceId }, environment);
        }
        const issued = await issueToken(
          tx.tokens,
          { workspaceId, role, name, createdBy: actor.name, environment },
          { expiresAt },
        );
        await recordAudit(tx.audit, { ...actor, workspaceId }, { action: "token.create" });
        return issued;
      });
      return { token: toInfo(row, await workspaceName(row.workspaceId)), value };
    },

    /** Oldest first, a page after the token `after` (an id); only its environment's for a token limited to one. */
    async list(
      actor: Actor,
      options: { limit?: number | undefined; after?: string | undefined } = {},
    ): Promise<TokenInfo[]> {
      requireRole(actor, "admin", "list tokens");
      const rows = await store.tokens.list(actor.workspaceId, {
        limit: pageSize(options.limit),
        after: options.after === undefined ? undefined : await pageStart(actor, options.after),
        environment: actor.environment ?? undefined,
      });
      const workspace = await workspaceName(actor.workspaceId);
      return rows.map((row) => toInfo(row, workspace));
    },

    async revoke(actor: Actor, id: string): Promise<void> {
      requireRole(actor, "admin", "revoke tokens");
      await store.transaction(async (tx) => {
        const row = await tx.tokens.get(actor.workspaceId, id);
        if (!row || !inScope(actor, row)) throw new NotFoundError(`Token ${quote(id)} not found`);
        if (!row.revokedAt) await tx.tokens.revoke(id, new Date().toISOString());
        await recordAudit(tx.audit, actor, { action: "token.revoke" });
      });
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
