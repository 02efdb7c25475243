import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Actor } from "../services/actor.js";
import type { Authenticate } from "../services/authenticator.js";
import type { ActiveSession, SessionService } from "../services/session-service.js";
import { AuthenticationError } from "../shared/errors.js";
import { documentErrorAnswers } from "./error-answers.js";
import { resumeSession, sessionCookie, stateChangingMethods } from "./session-auth.js";

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor;
    /** The dashboard session the request came with; null for a bearer token. */
    session: ActiveSession | null;
  }
}

/** Where a request came from, as the audit log records it. */
export function requestSource(request: FastifyRequest): NonNullable<Actor["source"]> {
  return { address: request.ip, userAgent: request.headers["user-agent"] };
}

/** The token of an `Authorization: Bearer <token>` header, or `AuthenticationError`. */
function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match?.[1]) {
    throw new AuthenticationError(
      "Missing token: send the header 'Authorization: Bearer <token>', or sign in (POST /v1/sessions)",
    );
  }
  return match[1];
}

/**
 * Authenticates every request of the routes registered in `app` (a scope): by its bearer token
 * when it sends one, otherwise by its session cookie (with CSRF checks on state-changing and value-returning requests).
 */
export function requireCaller(
  app: FastifyInstance,
  deps: { authenticate: Authenticate; sessions: Pick<SessionService, "resume"> },
): void {
  // A session's state-changing request without its CSRF token is refused: 403 (session-auth.ts).
  documentErrorAnswers(app, (route) =>
    [route.method].flat().some((method) => stateChangingMethods.has(method)) ? [401, 403] : [401],
  );
  app.decorateRequest("actor", undefined as unknown as Actor);
  app.decorateRequest("session", null);
  app.addHook("onRequest", async (request, reply) => {
    const cookie = sessionCookie(request);
    // A bearer header is no ambient credential: a cross-site page cannot make the browser send it.
    if (request.headers.authorization !== undefined || cookie === undefined) {
      request.actor = await deps.authenticate(bearerToken(request), requestSource(request));
      return;
    }
    request.session = await resumeSession(request, reply, deps.sessions, cookie, requestSource(request));
    request.actor = request.session.actor;
  });
}
