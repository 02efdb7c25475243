import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Services } from "../../lockbox.js";
import { limits, roles } from "../../shared/rules.js";
import { schemas } from "../../shared/schemas.js";
import {
  auditEntry,
  auditVerification,
  environmentInfo,
  tokenInfo,
  workspaceInfo,
} from "../answer-schemas.js";
import { errorAnswers } from "../error-answers.js";

// Lists in name order: a page of `limit` (default 100, at most 1000) after the name `after`.
const namePage = z.object({
  limit: schemas.pageLimit.optional(),
  after: z.string().min(1).max(100).optional(),
});

/** Environments, workspaces, tokens and the audit log. */
export const directoryRoutes =
  (services: Pick<Services, "environments" | "workspaces" | "tokens" | "audit">): FastifyPluginAsyncZod =>
  async (app) => {
    const { environments, workspaces, tokens, audit } = services;

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

    app.get(
      "/audit",
      {
        schema: {
          querystring: z.object({
            limit: schemas.pageLimit.optional(),
            beforeId: z.coerce.number().int().positive().optional(),
          }),
          response: { 200: z.object({ entries: z.array(auditEntry) }), ...errorAnswers(403) },
        },
      },
      async (request) => ({ entries: await audit.list(request.actor, request.query) }),
    );

    app.get(
      "/audit/verify",
      { schema: { response: { 200: auditVerification, ...errorAnswers(403) } } },
      async (request) => audit.verify(request.actor),
    );
  };
