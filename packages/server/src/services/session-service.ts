import { randomBytes } from "node:crypto";
import { AuthenticationError } from "../shared/errors.js";
import type { Role } from "../shared/rules.js";
import type { SessionRow } from "../store/schema.js";
import type { Store } from "../store/store.js";
import type { Actor } from "./actor.js";
import { recordAudit } from "./audit-record.js";
import type { Authenticator, TokenActor } from "./authenticator.js";
import { createFailureGuard } from "./failure-guard.js";
import { newId } from "./ids.js";
import { findByToken, hashToken } from "./token-credentials.js";

export interface SessionOptions {
  /** From sign-in to the session's absolute end. */
  lifetimeSeconds: number;
  /** A session unused for this long ends. */
  idleSeconds: number;
  /** Failed sign-ins allowed per address, and per token, in each window. */
  maxFailedSignIns: number;
  /** Failed sign-ins allowed per workspace (the token's, or `default` for unknown tokens) in each window. */
  maxFailedSignInsPerWorkspace: number;
  failedSignInWindowSeconds: number;
}

export const sessionDefaults: Readonly<SessionOptions> = Object.freeze({
  lifetimeSeconds: 12 * 60 * 60,
  idleSeconds: 60 * 60,
  maxFailedSignIns: 10,
  maxFailedSignInsPerWorkspace: 50,
  failedSignInWindowSeconds: 60,
});

/** What the dashboard learns of its session: who signed in, never the token. */
export interface SessionInfo {
  csrfToken: string;
  actor: { name: string; role: Role; workspace: string };
  expiresAt: string;
}

/** The session of the current request, found by its cookie and checked. */
export interface ActiveSession {
  id: string;
  csrf: string;
  expiresAt: string;
  actor: TokenActor;
}

type SessionStore = Pick<Store, "sessions" | "tokens" | "directory" | "audit" | "transaction">;

// How often "last seen at" is written for a session in constant use; the idle end moves with it.
const touchIntervalMs = 60_000;

const ended = () =>
  new AuthenticationError("The session has ended (expired, signed out, or its token revoked): sign in again");

/** Browser sign-in: a random cookie stands for a token, which is checked again on every request. */
export function createSessionService(deps: {
  store: SessionStore;
  authenticator: Authenticator;
  options?: Partial<SessionOptions> | undefined;
  /** Told of each failed sign-in (the server's metrics). */
  onFailedSignIn?: (() => void) | undefined;
}) {
  const { store, authenticator } = deps;
  const options = { ...sessionDefaults, ...deps.options };
  const signIns = createFailureGuard(
    { store },
    {
      maxFailures: options.maxFailedSignIns,
      maxFailuresPerWorkspace: options.maxFailedSignInsPerWorkspace,
      windowMs: options.failedSignInWindowSeconds * 1000,
      action: "session.failed",
      what: "failed sign-ins",
      lockOut: true,
      onFailure: deps.onFailedSignIn,
    },
  );

  async function describe(
    session: Pick<ActiveSession, "csrf" | "expiresAt" | "actor">,
  ): Promise<SessionInfo> {
    const { actor } = session;
    const workspace = await store.directory.getWorkspace(actor.workspaceId);
    return {
      csrfToken: session.csrf,
      actor: { name: actor.name, role: actor.role, workspace: workspace?.name ?? "" },
      expiresAt: session.expiresAt,
    };
  }

  return {
    /** Signs in with a token: the new session's cookie value (shown once) and what the dashboard shows. */
    async create(token: string, source?: Actor["source"]): Promise<{ cookie: string; session: SessionInfo }> {
      const actor = await signIns.attempt(token, source, () => authenticator.byToken(token, source));
      const cookie = randomBytes(32).toString("base64url");
      const now = new Date();
      const row: SessionRow = {
        id: newId("ss"),
        hash: hashToken(cookie),
        tokenId: actor.tokenId,
        workspaceId: actor.workspaceId,
        csrf: randomBytes(32).toString("base64url"),
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + options.lifetimeSeconds * 1000).toISOString(),
        lastSeenAt: now.toISOString(),
      };
      const idleSince = new Date(now.getTime() - options.idleSeconds * 1000).toISOString();
      await store.transaction(async (tx) => {
        await tx.sessions.deleteExpired(row.createdAt, idleSince);
        await tx.sessions.insert(row);
        await recordAudit(tx.audit, actor, { action: "session.create" });
      });
      return { cookie, session: await describe({ ...row, actor }) };
    },

    /** The session a cookie stands for, with its token checked again; ended ones are removed. */
    async resume(cookie: string, source?: Actor["source"]): Promise<ActiveSession> {
      const row = await findByToken(cookie, store.sessions.findByHash);
      if (!row) throw ended();
      const now = new Date();
      const lastSeenMs = Date.parse(row.lastSeenAt);
      if (row.expiresAt <= now.toISOString() || lastSeenMs + options.idleSeconds * 1000 <= now.getTime()) {
        await store.sessions.delete(row.id);
        throw ended();
      }
      let actor: TokenActor;
      try {
        actor = await authenticator.byTokenId(row.tokenId, source);
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        await store.sessions.delete(row.id);
        throw ended();
      }
      if (now.getTime() - lastSeenMs > touchIntervalMs) await store.sessions.touch(row.id, now.toISOString());
      return { id: row.id, csrf: row.csrf, expiresAt: row.expiresAt, actor };
    },

    describe,

    /** Signs out: the session is gone at once. */
    async end(session: ActiveSession): Promise<void> {
      await store.transaction(async (tx) => {
        await tx.sessions.delete(session.id);
        await recordAudit(tx.audit, session.actor, { action: "session.delete" });
      });
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
