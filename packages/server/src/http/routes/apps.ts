import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppService } from "../../services/app-service.js";
import { limits, networkModes, timeoutProblem, tmpMbProblem } from "../../shared/rules.js";
import { schemas } from "../../shared/schemas.js";

const environmentParams = z.object({ environment: schemas.environmentName });
const appParams = environmentParams.extend({ name: schemas.appName });

// Named references only: a deploy never carries a secret's values.
const deployedSecret = z.object({
  name: schemas.secretName,
  environment: schemas.environmentName.optional(),
  requiredKeys: z.array(schemas.key).optional(),
});

// A number checked by one of the shared rules, so the API refuses it as the SDK does.
const checkedNumber = (problem: (value: unknown) => string | undefined) =>
  z.number().superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: "custom", message });
  });

const deployedFunction = z.object({
  name: z.string().min(1).max(128),
  index: z.number().int().min(0),
  secrets: z.array(deployedSecret),
  env: schemas.values.optional(),
  timeoutMs: checkedNumber(timeoutProblem).optional(),
  network: z.enum(networkModes).optional(),
  tmpMb: checkedNumber(tmpMbProblem).optional(),
});

/** Deployed apps: `/v1/environments/:environment/apps…`. */
export const appRoutes =
  (apps: AppService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      "/environments/:environment/apps",
      { schema: { params: environmentParams } },
      async (request) => ({
        apps: await apps.list(request.actor, request.params),
      }),
    );

    app.get("/environments/:environment/apps/:name", { schema: { params: appParams } }, async (request) =>
      apps.get(request.actor, request.params),
    );

    app.post(
      "/environments/:environment/apps/:name/deployments",
      {
        // A bundle is code and can be large; every other route keeps the default limit.
        bodyLimit: limits.bundleMaxBytes + 1024 * 1024,
        schema: {
          params: appParams,
          body: z.object({
            bundle: z.string().min(1),
            functions: z.array(deployedFunction),
          }),
        },
      },
      async (request, reply) =>
        reply.code(201).send(await apps.deploy(request.actor, { ...request.params, ...request.body })),
    );
  };
