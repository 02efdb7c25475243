import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppService } from "../../services/app-service.js";
import { deployedFilesProblem } from "../../shared/file-rules.js";
import { limits, networkModes, timeoutProblem, tmpMbProblem } from "../../shared/rules.js";
import { schemas } from "../../shared/schemas.js";
import { deployedFileEntry, deployment, deploymentHead } from "../answer-schemas.js";
import { errorAnswers } from "../error-answers.js";

const environmentParams = z.object({ environment: schemas.environmentName });
const appParams = environmentParams.extend({ name: schemas.appName });
// 403: a token limited to another environment, or a role too weak; 404: no such environment or app.
const lookedUp = errorAnswers(403, 404);

// Named references only: a deploy never carries a secret's values.
export const deployedSecret = z.object({
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

/** What a function of a deploy or of an ephemeral run says alike: its name and place, its sandbox, its files. */
export const functionFields = {
  name: z.string().min(1).max(128),
  index: z.number().int().min(0),
  timeoutMs: checkedNumber(timeoutProblem).optional(),
  network: z.enum(networkModes).optional(),
  tmpMb: checkedNumber(tmpMbProblem).optional(),
  files: z
    .array(deployedFileEntry)
    .superRefine((files, ctx) => {
      const message = deployedFilesProblem(files);
      if (message) ctx.addIssue({ code: "custom", message });
    })
    .optional(),
};

const deployedFunction = z.object({
  ...functionFields,
  secrets: z.array(deployedSecret),
  env: schemas.values.optional(),
});

/** A bundle's functions' files: SHA-256 → base64 content. */
export const fileContents = z.record(z.string(), z.string());

// Base64 makes 4 bytes of 3: the largest bundle and the largest set of files, with room for the rest.
export const deployBodyLimit = limits.bundleMaxBytes + Math.ceil(limits.filesMaxBytes / 3) * 4 + 1024 * 1024;

/** Deployed apps: `/v1/environments/:environment/apps…`. */
export const appRoutes =
  (apps: AppService): FastifyPluginAsyncZod =>
  async (app) => {
    // A developer gets the functions' `env` values in the list, and the code too in an app's deploy.
    app.get(
      "/environments/:environment/apps",
      {
        config: { returnsValues: true },
        schema: {
          params: environmentParams,
          querystring: z.object({ limit: schemas.pageLimit.optional(), after: schemas.appName.optional() }),
          response: { 200: z.object({ apps: z.array(deployment) }), ...lookedUp },
        },
      },
      async (request) => ({
        apps: await apps.list(request.actor, { ...request.params, ...request.query }),
      }),
    );

    app.get(
      "/environments/:environment/apps/:name",
      {
        config: { returnsValues: true },
        schema: { params: appParams, response: { 200: deployment, ...lookedUp } },
      },
      async (request) => apps.get(request.actor, request.params),
    );

    app.get(
      "/environments/:environment/apps/:name/head",
      {
        schema: {
          summary: "The version of an app's newest deploy and when it was made",
          params: appParams,
          response: { 200: deploymentHead, ...lookedUp },
        },
      },
      async (request) => apps.head(request.actor, request.params),
    );

    app.post(
      "/environments/:environment/apps/:name/deployments",
      {
        // A bundle is code and can be large; every other route keeps the default limit.
        bodyLimit: deployBodyLimit,
        schema: {
          params: appParams,
          body: z.object({
            bundle: z.string().min(1),
            functions: z.array(deployedFunction),
            files: fileContents.optional(),
          }),
          response: { 201: deployment, ...lookedUp },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await apps.deploy(request.actor, { ...request.params, ...request.body })),
    );
  };
