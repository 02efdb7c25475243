import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ActiveSession, SessionService } from "../../services/session-service.js";
import { AuthenticationError } from "../../shared/errors.js";
import { sessionInfo } from "../answer-schemas.js";
import { requestSource } from "../auth.js";
import { errorAnswers } from "../error-answers.js";
import { clearSessionCookie, setSessionCookie } from "../session-auth.js";

function currentSession(request: FastifyRequest): ActiveSession {
  if (!request.session) {
    throw new AuthenticationError("This request has no session: sign in with POST /v1/sessions");
  }
  return request.session;
}

/** Signing in: `POST /v1/sessions` with a token sets the session cookie; no credential needed before. */
export const signInRoute =
  (sessions: SessionService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      "/sessions",
      {
        schema: {
          summary: "Sign in to the dashboard with a token: sets the HttpOnly session cookie",
          security: [],
          body: z.object({ token: z.string().min(1).max(1024) }),
          // 401: the token is not valid; 429: too many failed sign-ins from this address.
          response: { 201: sessionInfo, ...errorAnswers(401, 429) },
        },
      },
      async (request, reply) => {
        const { cookie, session } = await sessions.create(request.body.token, requestSource(request));
        setSessionCookie(reply, cookie, session.expiresAt);
        return reply.code(201).send(session);
      },
    );
  };

/** The session of the request's cookie: `GET /v1/session` reads it, `DELETE /v1/session` signs out. */
export const sessionRoutes =
  (sessions: SessionService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      "/session",
      { schema: { summary: "The signed-in session (cookie)", response: { 200: sessionInfo } } },
      async (request) => sessions.describe(currentSession(request)),
    );

    app.delete(
      "/session",
      {
        schema: {
          summary: "Sign out: ends the session and clears its cookie (needs x-csrf-token)",
          response: { 200: z.object({ deleted: z.boolean() }) },
        },
      },
      async (request, reply) => {
        await sessions.end(currentSession(request));
        clearSessionCookie(reply);
        return { deleted: true };
      },
    );
  };
