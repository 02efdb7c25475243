import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { TokenService } from "../../services/token-service.js";
import { limits, roles } from "../../shared/rules.js";
import { schemas } from "../../shared/schemas.js";
import { tokenInfo } from "../answer-schemas.js";
import { errorAnswers } from "../error-answers.js";

/** A workspace's tokens: listed (never their values), created and revoked. */
export const tokenRoutes =
  (tokens: TokenService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      "/tokens",
      {
        schema: {
          querystring: z.object({
            limit: schemas.pageLimit.optional(),
            after: z.string().min(1).max(100).optional(),
          }),
          response: { 200: z.object({ tokens: z.array(tokenInfo) }), ...errorAnswers(403) },
        },
      },
      async (request) => ({ tokens: await tokens.list(request.actor, request.query) }),
    );

    app.post(
      "/tokens",
      {
        schema: {
          body: z.object({
            role: z.enum(roles).optional(),
            name: z.string().min(1).max(200).optional(),
            workspace: schemas.workspaceName.optional(),
            environment: schemas.environmentName.optional(),
            expiresInSeconds: z.number().int().positive().max(limits.tokenMaxLifetimeSeconds).optional(),
          }),
          response: {
            201: z.object({ token: tokenInfo, value: z.string().describe("The token: shown this once") }),
            ...errorAnswers(403, 404),
          },
        },
      },
      async (request, reply) => reply.code(201).send(await tokens.create(request.actor, request.body)),
    );

    app.delete(
      "/tokens/:id",
      {
        schema: {
          params: z.object({ id: z.string().min(1).max(100) }),
          response: { 200: z.object({ revoked: z.boolean() }), ...errorAnswers(403, 404) },
        },
      },
      async (request) => {
        await tokens.revoke(request.actor, request.params.id);
        return { revoked: true };
      },
    );
  };
