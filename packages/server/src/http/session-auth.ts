import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Actor } from "../services/actor.js";
import type { ActiveSession, SessionService } from "../services/session-service.js";
import { AuthenticationError, PermissionDeniedError } from "../shared/errors.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The route answers secret values (and audits the read): a session must send its CSRF token
     * even to read it, or a page on another port of the same host (the same site, to the cookie)
     * could make the browser perform a read it cannot see.
     */
    returnsValues?: boolean;
  }
}

export const sessionCookieName = "lockbox_session";
/** The header every state-changing or value-returning request of a session must carry, holding its CSRF token. */
export const csrfHeaderName = "x-csrf-token";

/** The methods whose requests must carry the CSRF token when they come with a session. */
export const stateChangingMethods: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const needsCsrf = (request: FastifyRequest) =>
  stateChangingMethods.has(request.method) || request.routeOptions.config?.returnsValues === true;

/** The session cookie's value, when the request carries one. */
export function sessionCookie(request: FastifyRequest): string | undefined {
  for (const pair of request.headers.cookie?.split(";") ?? []) {
    const separator = pair.indexOf("=");
    if (separator > 0 && pair.slice(0, separator).trim() === sessionCookieName) {
      return pair.slice(separator + 1).trim() || undefined;
    }
  }
  return undefined;
}

function cookieHeader(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = request.protocol === "https" ? "; Secure" : "";
  return `${sessionCookieName}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure}`;
}

/** Sets the cookie of a new session, to last until the session's absolute end. */
export function setSessionCookie(reply: FastifyReply, value: string, expiresAt: string): void {
  const maxAgeSeconds = Math.max(0, Math.ceil((Date.parse(expiresAt) - Date.now()) / 1000));
  reply.header("set-cookie", cookieHeader(reply.request, value, maxAgeSeconds));
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.header("set-cookie", cookieHeader(reply.request, "", 0));
}

// Another site's page can make the browser send the cookie, but cannot read the CSRF token to echo it.
function checkCsrf(request: FastifyRequest, session: ActiveSession): void {
  if (!needsCsrf(request)) return;
  const sent = request.headers[csrfHeaderName];
  const given = Buffer.from(typeof sent === "string" ? sent : "");
  const expected = Buffer.from(session.csrf);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new PermissionDeniedError(
      `Missing or wrong CSRF token: a session's requests that change something or return values must send the header '${csrfHeaderName}' with the session's csrfToken (GET /v1/session)`,
    );
  }
}

/** The request's session, checked (expiry, token, CSRF); an ended session's cookie is cleared. */
export async function resumeSession(
  request: FastifyRequest,
  reply: FastifyReply,
  sessions: Pick<SessionService, "resume">,
  cookie: string,
  source: Actor["source"],
): Promise<ActiveSession> {
  let session: ActiveSession;
  try {
    session = await sessions.resume(cookie, source);
  } catch (error) {
    if (error instanceof AuthenticationError) clearSessionCookie(reply);
    throw error;
  }
  checkCsrf(request, session);
  return session;
}
