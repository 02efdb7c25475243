import { randomUUID } from "node:crypto";
import swagger from "@fastify/swagger";
import Fastify, { type FastifyBaseLogger } from "fastify";
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { Services } from "../lockbox.js";
import type { Authenticate } from "../services/authenticator.js";
import type { RedeemGrant } from "../services/grant-service.js";
import { requireToken } from "./auth.js";
import { handleError, sendError } from "./errors.js";
import { appRoutes } from "./routes/apps.js";
import { directoryRoutes } from "./routes/directory.js";
import { grantRoutes, redeemRoute } from "./routes/grants.js";
import { secretRoutes } from "./routes/secrets.js";

export interface AppOptions {
  services: Services;
  authenticate: Authenticate;
  redeemGrant: RedeemGrant;
  logger: FastifyBaseLogger;
}

// Headers that carry credentials never reach a log line.
export const redactedPaths = ["req.headers.authorization", "req.headers.cookie", 'res.headers["set-cookie"]'];

/** The HTTP API: Fastify with zod schemas, bearer-token auth under `/v1`, OpenAPI at `/openapi.json`. */
export async function buildApp(options: AppOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    genReqId: () => randomUUID(),
    bodyLimit: 4 * 1024 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, request, "not_found", `No route ${request.method} ${request.url.split("?")[0]}`),
  );

  await app.register(swagger, {
    openapi: {
      info: { title: "Lockbox API", version: "1" },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));

  await app.register(
    async (v1) => {
      await v1.register(redeemRoute(options.redeemGrant));
      await v1.register(async (authenticated) => {
        requireToken(authenticated, options.authenticate);
        await authenticated.register(secretRoutes(options.services.secrets));
        await authenticated.register(grantRoutes(options.services.grants));
        await authenticated.register(appRoutes(options.services.apps));
        await authenticated.register(directoryRoutes(options.services));
      });
    },
    { prefix: "/v1" },
  );
  return app;
}
