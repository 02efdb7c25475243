import { randomBytes } from "node:crypto";
import { AuthenticationError, InvalidError } from "../shared/errors.js";
import type { Store } from "../store/store.js";
import { type Actor, requireRole } from "./actor.js";
import { isTokenUsable } from "./authenticator.js";
import { newId } from "./ids.js";
import { writeReadRecords } from "./read-log.js";
import type { ResolvedSecret, ResolveInput, SecretLookup } from "./secret-lookup.js";
import type { SecretService } from "./secret-service.js";
import { findByToken, hashToken } from "./token-service.js";

export interface GrantInput extends ResolveInput {
  /** How long the grant may be redeemed: default 60 s, at most 600 s. */
  ttlSeconds?: number | undefined;
}

/** A credential for one container start: it reads exactly these secrets, once, before it expires. */
export interface Grant {
  token: string;
  expiresAt: string;
  /** The versions the grant was made against: a warm container for the same versions can be reused. */
  secrets: { name: string; version: number }[];
}

const maxTtlSeconds = 600;

export function createGrantService(deps: {
  store: Pick<Store, "transaction">;
  secrets: Pick<SecretService, "get">;
}) {
  return {
    /** Checks that every secret exists with its required keys, then issues the grant. */
    async create(actor: Actor, input: GrantInput): Promise<Grant> {
      requireRole(actor, "developer", "start containers with secrets");
      const ttlSeconds = input.ttlSeconds ?? 60;
      if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxTtlSeconds) {
        throw new InvalidError(`ttlSeconds must be a whole number from 1 to ${maxTtlSeconds}`);
      }
      const secrets: Grant["secrets"] = [];
      for (const wanted of input.secrets) {
        const info = await deps.secrets.get(actor, { environment: input.environment, ...wanted });
        secrets.push({ name: info.name, version: info.version });
      }
      const token = `lbg_${randomBytes(32).toString("base64url")}`;
      const now = Date.now();
      const expiresAt = new Date(now + ttlSeconds * 1000).toISOString();
      const row = {
        id: newId("gr"),
        workspaceId: actor.workspaceId,
        hash: hashToken(token),
        // The versions checked now are the ones read at redemption: the caller keys warm
        // containers by them, so a later edit must not slip into this container.
        request: JSON.stringify({
          environment: input.environment,
          secrets: input.secrets.map((wanted, i) => ({ ...wanted, version: secrets[i]?.version })),
        }),
        createdAt: new Date(now).toISOString(),
        createdBy: actor.name,
        tokenId: actor.tokenId,
        expiresAt,
        redeemedAt: null,
      };
      // One commit (one fsync) for the clean-up and the new grant: it sits on every cold start.
      await deps.store.transaction(async (tx) => {
        await tx.grants.deleteExpired(new Date(now).toISOString());
        await tx.grants.insert(row);
      });
      return { token, expiresAt, secrets };
    },
  };
}

export type GrantService = ReturnType<typeof createGrantService>;

/** Redeems a grant for the values it covers; each container start is an audited read. */
export function createGrantRedeemer(deps: {
  store: Pick<Store, "grants" | "tokens" | "transaction">;
  lookup: SecretLookup;
}) {
  const invalid = () =>
    new AuthenticationError("The container credential is not valid: it is unknown, expired or already used");
  return async function redeemGrant(token: string, source?: Actor["source"]): Promise<ResolvedSecret[]> {
    const row = await findByToken(token, deps.store.grants.findByHash);
    const now = new Date();
    if (!row || row.expiresAt <= now.toISOString()) throw invalid();
    // A grant is worth no more than the token that made it: revoking the token ends its grants.
    if (row.tokenId !== null && !isTokenUsable(await deps.store.tokens.findById(row.tokenId), now))
      throw invalid();
    const actor: Actor = {
      workspaceId: row.workspaceId,
      name: row.createdBy,
      tokenId: row.tokenId,
      role: "developer",
      canCreateWorkspaces: false,
      source,
    };
    const request = JSON.parse(row.request) as ResolveInput;
    // Marking the grant used and reading its secrets commit together: a grant whose read failed
    // can be tried again, and no two reads share one grant.
    return deps.store.transaction(async (tx) => {
      if (!(await tx.grants.redeem(row.id, now.toISOString()))) throw invalid();
      const { secrets, record } = await deps.lookup.readForUse(tx, actor, request, "container.start");
      await writeReadRecords(tx, [record]);
      return secrets;
    });
  };
}

export type RedeemGrant = ReturnType<typeof createGrantRedeemer>;
