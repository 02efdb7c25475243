import type { Actor } from "../services/actor.js";
import { recordAudit } from "../services/audit-record.js";
import { createFailureLimiter } from "../services/failure-limiter.js";
import { toIdentityInfo } from "../services/identity-service.js";
import { issueToken } from "../services/token-credentials.js";
import { defaultWorkspace } from "../services/workspace-setup.js";
import { AuthenticationError, RateLimitedError } from "../shared/errors.js";
import { identityTokenName } from "../shared/identity-rules.js";
import { quote, type Role } from "../shared/rules.js";
import type { Store } from "../store/store.js";
import type { FailedCheck, OidcVerifier } from "./oidc-verifier.js";

export interface ExchangeRequest {
  identity: string;
  /** The platform's JWT: never stored, logged or audited. */
  token: string;
  workspace?: string | undefined;
}

export interface ExchangeAnswer {
  token: string;
  expiresAt: string;
  role: Role;
  environment: string | null;
}

interface ExchangeLimits {
  /** Refused exchanges audited one by one per address, and per identity, in a window; then 429. */
  maxFailures: number;
  /** The same per workspace (unknown workspaces count under `default`, where they are filed). */
  maxFailuresPerWorkspace: number;
  windowMs: number;
}

/** The one answer to every refusal: which check failed is for the admin's audit log only. */
const notAllowed = () => new AuthenticationError("not allowed");

/** `identity NAME, sub SUB` as the audit log's target names an exchange: never the token. */
const exchangeTarget = (identity: string, sub: string | undefined) =>
  `identity ${quote(identity, 64)}, sub ${sub === undefined ? "none" : quote(sub, 200)}`;

/**
 * `POST /v1/auth/oidc`: a platform's token, verified against the named identity, becomes a
 * Lockbox token of the identity's role and environment that expires at the identity's TTL or the
 * platform token's own `exp`, whichever is first. Every exchange is audited, allowed or refused.
 */
export function createIdentityExchange(
  deps: { store: Pick<Store, "directory" | "identities" | "transaction">; verifier: OidcVerifier },
  limits: ExchangeLimits,
) {
  const { store, verifier } = deps;
  const byAddress = createFailureLimiter(limits);
  const byIdentity = createFailureLimiter(limits);
  const byWorkspace = createFailureLimiter({
    maxFailures: limits.maxFailuresPerWorkspace,
    windowMs: limits.windowMs,
  });
  const limitNotes = createFailureLimiter({ maxFailures: 1, windowMs: limits.windowMs });

  async function refuse(
    workspaceId: string | undefined,
    refusal: {
      identity: string;
      check: FailedCheck | "workspace" | "identity" | "environment";
      sub?: string | undefined;
    },
    source: Actor["source"],
  ): Promise<never> {
    const fileIn = workspaceId ?? (await store.directory.findWorkspace(defaultWorkspace))?.id;
    const waits = [
      byAddress.begin(source?.address ?? "unknown"),
      byIdentity.begin(`${fileIn} ${refusal.identity}`),
      byWorkspace.begin(fileIn ?? ""),
    ];
    const waitMs = Math.max(...waits);
    // Past a limit, one entry per workspace and window says so, and the caller is told to wait.
    const note =
      waitMs > 0
        ? limitNotes.begin(fileIn ?? "") === 0
          ? "limit of refused exchanges reached"
          : undefined
        : refusal.check;
    if (note !== undefined && fileIn !== undefined) {
      const actor: Actor = {
        workspaceId: fileIn,
        name: identityTokenName(refusal.identity),
        tokenId: null,
        role: "viewer",
        canCreateWorkspaces: false,
        source,
      };
      const target = `${exchangeTarget(refusal.identity, refusal.sub)}: failed check ${note}`;
      await store.transaction((tx) =>
        recordAudit(tx.audit, actor, { action: "identity.exchange.refused", target }),
      );
    }
    if (waitMs > 0)
      throw new RateLimitedError(`Too many refused exchanges: try again in ${Math.ceil(waitMs / 1000)} s`);
    throw notAllowed();
  }

  return {
    async exchange(request: ExchangeRequest, source: Actor["source"]): Promise<ExchangeAnswer> {
      const workspace = await store.directory.findWorkspace(request.workspace ?? defaultWorkspace);
      if (!workspace) return refuse(undefined, { identity: request.identity, check: "workspace" }, source);
      const row = await store.identities.find(workspace.id, request.identity);
      if (!row) return refuse(workspace.id, { identity: request.identity, check: "identity" }, source);
      const identity = toIdentityInfo(row);
      const verified = await verifier.verify(request.token, identity);
      if (!verified.ok)
        return refuse(
          workspace.id,
          { identity: identity.name, check: verified.check, sub: verified.sub },
          source,
        );
      const { sub, exp } = verified.claims;
      const expiresAt = new Date(
        Math.min(Date.now() + identity.ttlSeconds * 1000, (exp ?? 0) * 1000),
      ).toISOString();
      const actor: Actor = {
        workspaceId: workspace.id,
        name: identityTokenName(identity.name),
        tokenId: null,
        role: identity.role,
        canCreateWorkspaces: false,
        source,
      };
      const issued = await store.transaction(async (tx) => {
        // An environment deleted since the identity was made: nothing to act in.
        if (
          identity.environment !== null &&
          !(await tx.directory.findEnvironment(workspace.id, identity.environment))
        )
          return undefined;
        const made = await issueToken(
          tx.tokens,
          {
            workspaceId: workspace.id,
            role: identity.role,
            name: actor.name,
            createdBy: actor.name,
            environment: identity.environment ?? undefined,
          },
          { expiresAt },
        );
        const target = exchangeTarget(identity.name, sub);
        await recordAudit(
          tx.audit,
          { ...actor, tokenId: made.row.id },
          { action: "identity.exchange", target, environment: identity.environment ?? undefined },
        );
        return made;
      });
      if (!issued)
        return refuse(workspace.id, { identity: identity.name, check: "environment", sub }, source);
      return { token: issued.value, expiresAt, role: identity.role, environment: identity.environment };
    },
  };
}

export type IdentityExchange = ReturnType<typeof createIdentityExchange>;
