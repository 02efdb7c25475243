import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { WorkspaceService } from "../../services/workspace-service.js";
import { schemas } from "../../shared/schemas.js";
import { workspaceInfo } from "../answer-schemas.js";
import { errorAnswers } from "../error-answers.js";
import { namePage } from "./name-page.js";

/** Workspaces: those the token sees, and new ones (by a token that may create them). */
export const workspaceRoutes =
  (workspaces: WorkspaceService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      "/workspaces",
      {
        schema: {
          querystring: namePage,
          response: { 200: z.object({ workspaces: z.array(workspaceInfo) }) },
        },
      },
      async (request) => ({ workspaces: await workspaces.list(request.actor, request.query) }),
    );

    app.post(
      "/workspaces",
      {
        schema: {
          body: z.object({ name: schemas.workspaceName }),
          response: {
            201: z.object({
              workspace: workspaceInfo,
              adminToken: z.string().describe("The new workspace's admin token: shown this once"),
            }),
            ...errorAnswers(403, 409),
          },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await workspaces.create(request.actor, request.body.name)),
    );
  };
