import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { IdentityExchange } from "../../identity/identity-exchange.js";
import { roles } from "../../shared/rules.js";
import { schemas } from "../../shared/schemas.js";
import { requestSource } from "../auth.js";
import { errorAnswers } from "../error-answers.js";

const exchangeAnswer = z
  .object({
    token: z.string().describe("A Lockbox token: use it as a bearer token until `expiresAt`"),
    expiresAt: z.string().describe("ISO 8601, UTC"),
    role: z.enum(roles),
    environment: z.string().nullable().describe("The one environment the token may act in; null: all"),
  })
  .meta({ id: "IdentityExchange" });

/** `POST /v1/auth/oidc`: a platform's OIDC token for a short-lived Lockbox token; no credential needed before. */
export const oidcExchangeRoute =
  (exchange: IdentityExchange): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      "/auth/oidc",
      {
        schema: {
          summary: "Exchange a platform's OIDC token (a JWT) for a Lockbox token of a workload identity",
          security: [],
          body: z.object({
            identity: schemas.identityName,
            token: z.string().min(1).max(16_384),
            workspace: schemas.workspaceName.optional(),
          }),
          // 401 "not allowed" for every refusal (the audit log says why); 429: too many refusals.
          response: { 200: exchangeAnswer, ...errorAnswers(401, 429) },
        },
      },
      async (request) => exchange.exchange(request.body, requestSource(request)),
    );
  };
