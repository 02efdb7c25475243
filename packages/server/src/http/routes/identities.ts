import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { IdentityService } from "../../services/identity-service.js";
import { identityTtl } from "../../shared/identity-rules.js";
import { roles } from "../../shared/rules.js";
import { schemas } from "../../shared/schemas.js";
import { identityInfo } from "../answer-schemas.js";
import { errorAnswers } from "../error-answers.js";
import { namePage } from "./name-page.js";

const identityPath = z.object({ name: schemas.identityName });

/** A workspace's workload identities (admins only): created, listed, read and deleted. */
export const identityRoutes =
  (identities: IdentityService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      "/identities",
      {
        schema: {
          querystring: namePage,
          response: { 200: z.object({ identities: z.array(identityInfo) }), ...errorAnswers(403) },
        },
      },
      async (request) => ({ identities: await identities.list(request.actor, request.query) }),
    );

    app.post(
      "/identities",
      {
        schema: {
          // Lengths and patterns are the service's rules, checked there with messages of their own.
          body: z.object({
            name: z.string(),
            issuer: z.string().max(2048),
            audience: z.string(),
            subject: z.string(),
            claims: z.record(z.string(), z.string()).optional(),
            role: z.enum(roles),
            environment: schemas.environmentName.optional(),
            ttlSeconds: z.number().int().min(identityTtl.minSeconds).max(identityTtl.maxSeconds).optional(),
          }),
          response: { 201: identityInfo, ...errorAnswers(403, 404, 409) },
        },
      },
      async (request, reply) => reply.code(201).send(await identities.create(request.actor, request.body)),
    );

    app.get(
      "/identities/:name",
      { schema: { params: identityPath, response: { 200: identityInfo, ...errorAnswers(403, 404) } } },
      async (request) => identities.get(request.actor, request.params.name),
    );

    app.delete(
      "/identities/:name",
      {
        schema: {
          params: identityPath,
          response: { 200: z.object({ deleted: z.boolean() }), ...errorAnswers(403, 404) },
        },
      },
      async (request) => {
        await identities.delete(request.actor, request.params.name);
        return { deleted: true };
      },
    );
  };
