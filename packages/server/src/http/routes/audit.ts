import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AuditService } from "../../services/audit-service.js";
import { schemas } from "../../shared/schemas.js";
import { auditEntry, auditVerification } from "../answer-schemas.js";
import { errorAnswers } from "../error-answers.js";

/** The workspace's audit log: read newest first, and its hash chain checked. */
export const auditRoutes =
  (audit: AuditService): FastifyPluginAsyncZod =>
  async (app) => {
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
