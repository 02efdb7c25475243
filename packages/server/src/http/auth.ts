import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Actor } from "../services/actor.js";
import type { Authenticate } from "../services/authenticator.js";
import { AuthenticationError } from "../shared/errors.js";

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or `AuthenticationError`. */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match?.[1]) {
    throw new AuthenticationError("Missing token: send the header 'Authorization: Bearer <token>'");
  }
  return match[1];
}

/** Authenticates every request of the routes registered in `app` (a scope) by its bearer token. */
export function requireToken(app: FastifyInstance, authenticate: Authenticate): void {
  app.decorateRequest("actor", undefined as unknown as Actor);
  app.addHook("onRequest", async (request) => {
    request.actor = await authenticate(bearerToken(request), {
      address: request.ip,
      userAgent: request.headers["user-agent"],
    });
  });
}
