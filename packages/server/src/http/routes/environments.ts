import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { EnvironmentService } from "../../services/environment-service.js";
import { schemas } from "../../shared/schemas.js";
import { environmentInfo } from "../answer-schemas.js";
import { errorAnswers } from "../error-answers.js";
import { namePage } from "./name-page.js";

/** A workspace's environments: listed, created and deleted. */
export const environmentRoutes =
  (environments: EnvironmentService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      "/environments",
      {
        schema: {
          querystring: namePage,
          response: { 200: z.object({ environments: z.array(environmentInfo) }) },
        },
      },
      async (request) => ({ environments: await environments.list(request.actor, request.query) }),
    );

    app.post(
      "/environments",
      {
        schema: {
          body: z.object({ name: schemas.environmentName }),
          response: { 201: environmentInfo, ...errorAnswers(403, 409) },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await environments.create(request.actor, request.body.name)),
    );

    app.delete(
      "/environments/:environment",
      {
        schema: {
          params: z.object({ environment: schemas.environmentName }),
          response: { 200: z.object({ deleted: z.boolean() }), ...errorAnswers(403, 404) },
        },
      },
      async (request) => {
        await environments.delete(request.actor, request.params.environment);
        return { deleted: true };
      },
    );
  };
