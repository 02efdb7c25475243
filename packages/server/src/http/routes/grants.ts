import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { GrantService, RedeemGrant } from "../../services/grant-service.js";
import { schemas } from "../../shared/schemas.js";
import { bearerToken, requestSource } from "../auth.js";

/** Issuing container grants: `POST /v1/environments/:environment/grants` (a developer's token). */
export const grantRoutes =
  (grants: GrantService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      "/environments/:environment/grants",
      {
        schema: {
          params: z.object({ environment: schemas.environmentName }),
          body: z.object({
            secrets: z.array(
              z.object({ name: schemas.secretName, requiredKeys: z.array(schemas.key).optional() }),
            ),
            ttlSeconds: z.number().int().optional(),
          }),
        },
      },
      async (request, reply) =>
        reply.code(201).send(await grants.create(request.actor, { ...request.params, ...request.body })),
    );
  };

/** Redeeming one: `POST /v1/grants/redeem`, authenticated by the grant itself, not by an API token. */
export const redeemRoute =
  (redeemGrant: RedeemGrant): FastifyPluginAsyncZod =>
  async (app) => {
    app.post("/grants/redeem", async (request) => ({
      secrets: await redeemGrant(bearerToken(request), requestSource(request)),
    }));
  };
