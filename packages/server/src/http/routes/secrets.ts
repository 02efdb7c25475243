import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { SecretService } from "../../services/secret-service.js";
import { exportFormats, limits, resolveNamesProblem, resolveUses } from "../../shared/rules.js";
import { schemas } from "../../shared/schemas.js";
import { resolvedSecret, secretInfo, secretValues, secretVersion } from "../answer-schemas.js";
import { errorAnswers } from "../error-answers.js";

const environmentParams = z.object({ environment: schemas.environmentName });
const secretParams = environmentParams.extend({ name: schemas.secretName });
const version = z.coerce.number().int().positive();
const keyList = z
  .string()
  .transform((text) => text.split(",").filter(Boolean))
  .pipe(z.array(schemas.key));
const flag = z.enum(["true", "false"]).transform((text) => text === "true");
// Every route looks up its environment (and most a secret): 403 for a token limited to another
// environment or a role too weak, 404 for none.
const lookedUp = errorAnswers(403, 404);
// 201 when it made a new version, 200 when `ifExists: "keep"` kept the old one.
const createAnswer = z.object({ created: z.boolean(), secret: secretInfo });

/** Named secrets of one environment: `/v1/environments/:environment/secrets…`. */
export const secretRoutes =
  (secrets: SecretService): FastifyPluginAsyncZod =>
  async (app) => {
    const base = "/environments/:environment/secrets";

    app.get(
      base,
      {
        schema: {
          params: environmentParams,
          querystring: z.object({
            limit: schemas.pageLimit.optional(),
            createdBefore: z.iso.datetime().optional(),
          }),
          response: { 200: z.object({ secrets: z.array(secretInfo) }), ...lookedUp },
        },
      },
      async (request) => ({
        secrets: await secrets.list(request.actor, { ...request.params, ...request.query }),
      }),
    );

    app.post(
      base,
      {
        schema: {
          params: environmentParams,
          body: z.object({
            name: schemas.secretName,
            values: schemas.values,
            ifExists: z.enum(["fail", "keep", "replace"]).optional(),
          }),
          response: { 200: createAnswer, 201: createAnswer, ...lookedUp, ...errorAnswers(409) },
        },
      },
      async (request, reply) => {
        const result = await secrets.create(request.actor, { ...request.params, ...request.body });
        return reply.code(result.created ? 201 : 200).send(result);
      },
    );

    app.get(
      `${base}/:name`,
      {
        schema: {
          params: secretParams,
          querystring: z.object({ requiredKeys: keyList.optional() }),
          response: { 200: secretInfo, ...lookedUp },
        },
      },
      async (request) => secrets.get(request.actor, { ...request.params, ...request.query }),
    );

    app.patch(
      `${base}/:name`,
      {
        schema: {
          params: secretParams,
          body: z.object({
            set: schemas.values.optional(),
            unset: z.array(schemas.key).optional(),
            ifVersion: version.optional(),
          }),
          response: { 200: secretInfo, ...lookedUp, ...errorAnswers(409) },
        },
      },
      async (request) => secrets.update(request.actor, { ...request.params, ...request.body }),
    );

    app.delete(
      `${base}/:name`,
      {
        schema: {
          params: secretParams,
          querystring: z.object({ allowMissing: flag.optional() }),
          response: { 200: z.object({ deleted: z.boolean() }), ...lookedUp },
        },
      },
      async (request) => secrets.delete(request.actor, { ...request.params, ...request.query }),
    );

    app.get(
      `${base}/:name/values`,
      {
        config: { returnsValues: true },
        schema: {
          params: secretParams,
          querystring: z.object({ version: version.optional() }),
          response: { 200: secretValues, ...lookedUp },
        },
      },
      async (request) => secrets.reveal(request.actor, { ...request.params, ...request.query }),
    );

    app.get(
      `${base}/:name/export`,
      {
        config: { returnsValues: true },
        schema: {
          params: secretParams,
          querystring: z.object({
            format: z.enum(exportFormats).default("dotenv"),
            kubernetesName: schemas.kubernetesName.optional(),
          }),
          response: { 200: z.object({ format: z.enum(exportFormats), content: z.string() }), ...lookedUp },
        },
      },
      async (request) => ({
        format: request.query.format,
        content: await secrets.export(request.actor, { ...request.params, ...request.query }),
      }),
    );

    app.get(
      `${base}/:name/history`,
      {
        schema: {
          params: secretParams,
          querystring: z.object({ limit: schemas.pageLimit.optional(), beforeVersion: version.optional() }),
          response: { 200: z.object({ versions: z.array(secretVersion) }), ...lookedUp },
        },
      },
      async (request) => ({
        versions: await secrets.history(request.actor, { ...request.params, ...request.query }),
      }),
    );

    app.post(
      `${base}/:name/rollback`,
      {
        schema: {
          params: secretParams,
          body: z.object({ version }),
          response: { 200: secretInfo, ...lookedUp },
        },
      },
      async (request) => secrets.rollback(request.actor, { ...request.params, ...request.body }),
    );

    app.post(
      "/environments/:environment/resolve",
      {
        schema: {
          description: `Reads secrets' values for a developer or an admin, in order: the current versions, or those given as \`version\`; at most ${limits.resolveMaxSecrets} secrets, each named once. Each read is an audit entry: \`secret.resolve\`, or \`container.start\` with \`use: container\` (a container the caller starts itself).`,
          params: environmentParams,
          body: z.object({
            secrets: z
              .array(
                z.object({
                  name: schemas.secretName,
                  requiredKeys: z.array(schemas.key).optional(),
                  version: z.number().int().min(1).optional(),
                }),
              )
              .superRefine((wanted, ctx) => {
                const message = resolveNamesProblem(wanted.map((secret) => secret.name));
                if (message) ctx.addIssue({ code: "custom", message });
              })
              .meta({ maxItems: limits.resolveMaxSecrets }),
            use: z.enum(resolveUses).optional(),
          }),
          response: { 200: z.object({ secrets: z.array(resolvedSecret) }), ...lookedUp },
        },
      },
      async (request) => ({
        secrets: await secrets.resolve(request.actor, { ...request.params, ...request.body }),
      }),
    );
  };
