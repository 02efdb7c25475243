import { randomUUID } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { FunctionExecutor } from "../execution/function-executor.js";
import type { IdentityExchange } from "../identity/identity-exchange.js";
import type { Services } from "../lockbox.js";
import type { Authenticate } from "../services/authenticator.js";
import type { FunctionIdentity } from "../services/identity-signer.js";
import type { SessionService } from "../services/session-service.js";
import type { Store } from "../store/store.js";
import { registerApiDocument } from "./api-document.js";
import { requireCaller } from "./auth.js";
import { answerClientError } from "./client-errors.js";
import { dashboardRoutes, defaultDashboardDir } from "./dashboard.js";
import { documentErrorAnswers, validatesInput } from "./error-answers.js";
import { handleError, sendError } from "./errors.js";
import { RequestLogController, requestLogSerializers } from "./request-log.js";
import { appRoutes } from "./routes/apps.js";
import { auditRoutes } from "./routes/audit.js";
import { environmentRoutes } from "./routes/environments.js";
import { functionCallRoutes } from "./routes/function-calls.js";
import { identityRoutes } from "./routes/identities.js";
import { identityDiscoveryRoutes } from "./routes/identity-discovery.js";
import { oidcExchangeRoute } from "./routes/oidc-exchange.js";
import { runRoutes } from "./routes/runs.js";
import { secretRoutes } from "./routes/secrets.js";
import { sessionRoutes, signInRoute } from "./routes/sessions.js";
import { tokenRoutes } from "./routes/tokens.js";
import { workspaceRoutes } from "./routes/workspaces.js";
import { addSecurityHeaders, setSecurityHeaders } from "./security-headers.js";

export interface AppOptions {
  services: Services;
  functions: Pick<FunctionExecutor, "prepare" | "startRun" | "prepareRunCall">;
  /** Functions' identity tokens, whose discovery document and keys are served under `/.well-known`. */
  identity: FunctionIdentity;
  authenticate: Authenticate;
  sessions: SessionService;
  identityExchange: IdentityExchange;
  /** Whether the databases are reachable and migrated. */
  readiness: Store["readiness"];
  logger: FastifyBaseLogger;
  /** The built dashboard served at `/` (default: the copy in this package's `dist/dashboard`). */
  dashboardDir?: string | undefined;
  /** Told of each request once answered (the server's metrics). */
  onAnswered?: ((request: FastifyRequest, reply: FastifyReply) => void) | undefined;
  /** Proxies whose `X-Forwarded-*` headers are believed (addresses, CIDR ranges); default none. */
  trustProxy?: readonly string[] | undefined;
}

// Headers that carry credentials never reach a log line.
export const redactedPaths = ["req.headers.authorization", "req.headers.cookie", 'res.headers["set-cookie"]'];

/**
 * The HTTP API under `/v1` (a bearer token or a dashboard session), OpenAPI at `/openapi.json`,
 * and the dashboard at `/`; every response carries the security headers.
 */
export async function buildApp(options: AppOptions) {
  const app = Fastify({
    loggerInstance: options.logger.child({}, { serializers: requestLogSerializers }),
    logController: new RequestLogController(),
    genReqId: () => randomUUID(),
    // Behind the proxies named, `request.ip` (failure limits, the audit log) is the client's
    // address and `request.protocol` the one it used (the cookie's `Secure`); no one else's
    // X-Forwarded-* headers are believed.
    trustProxy: options.trustProxy ? [...options.trustProxy] : false,
    bodyLimit: 4 * 1024 * 1024,
    // `__proto__` is a valid key (DESIGN §5): JSON.parse makes it an own property, and every body
    // goes through a zod schema; nothing merges bodies with assignment.
    onProtoPoisoning: "ignore",
    clientErrorHandler: answerClientError,
    // While closing, `startServer` refuses requests with the API's own error body (server.ts).
    return503OnClosing: false,
    // A URL Fastify cannot route gets the API's error body and headers: no hook runs for it.
    frameworkErrors: (error, request, reply) => {
      setSecurityHeaders(request, reply);
      void sendError(reply, request, "invalid", `The request URL is malformed (${error.code})`);
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  const { onAnswered } = options;
  if (onAnswered) app.addHook("onResponse", async (request, reply) => onAnswered(request, reply));
  addSecurityHeaders(app);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, request, "not_found", `No route ${request.method} ${request.url.split("?")[0]}`),
  );

  await registerApiDocument(app);
  // Alive: the process answers. Ready: it can serve, its databases reachable and migrated; a
  // load balancer sends traffic only to ready instances (and none while one shuts down: 503).
  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { hide: true } }, async (request, reply) => {
    const readiness = await options.readiness().catch((error: unknown) => {
      request.log.error({ err: error }, "readiness check failed");
      return { ready: false, reason: "the readiness check failed" } as const;
    });
    return readiness.ready
      ? { status: "ready" }
      : reply.code(503).send({ status: "unavailable", reason: readiness.reason });
  });

  await app.register(
    async (v1) => {
      // Any request may be refused with 503 while the server shuts down (server.ts).
      documentErrorAnswers(v1, (route) => (validatesInput(route) ? [400, 503] : [503]));
      await v1.register(signInRoute(options.sessions));
      await v1.register(oidcExchangeRoute(options.identityExchange));
      await v1.register(async (authenticated) => {
        requireCaller(authenticated, options);
        await authenticated.register(sessionRoutes(options.sessions));
        await authenticated.register(secretRoutes(options.services.secrets));
        await authenticated.register(appRoutes(options.services.apps));
        await authenticated.register(functionCallRoutes(options.functions));
        await authenticated.register(runRoutes(options.functions));
        await authenticated.register(environmentRoutes(options.services.environments));
        await authenticated.register(workspaceRoutes(options.services.workspaces));
        await authenticated.register(tokenRoutes(options.services.tokens));
        await authenticated.register(identityRoutes(options.services.identities));
        await authenticated.register(auditRoutes(options.services.audit));
      });
    },
    { prefix: "/v1" },
  );
  await app.register(identityDiscoveryRoutes(options.identity));
  await app.register(dashboardRoutes(options.dashboardDir ?? defaultDashboardDir));
  return app;
}
