import type { IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { openLockbox } from "../lockbox.js";
import { bootstrap } from "../services/workspace-service.js";
import { InvalidError } from "../shared/errors.js";
import { buildApp } from "./app.js";
import { sendError } from "./errors.js";
import { createServerLogger, logFormats } from "./server-logger.js";

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL");

const optionsSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65_535),
    dataDir: z.string().min(1),
    encodedKey: z.string().optional(),
    /** `postgres://…` (or `postgresql://…`): store the data there instead of SQLite in `dataDir`. */
    databaseUrl: postgresUrl.optional(),
    /** A read replica of `databaseUrl`, for listings and history. */
    databaseReplicaUrl: postgresUrl.optional(),
    /** Connections to PostgreSQL at most, to the primary and to the replica each (default 10). */
    databaseMaxConnections: z.number().int().min(1).max(1000).optional(),
    bootstrapToken: z.string().min(16, "must be at least 16 characters").optional(),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** `pretty`: one readable line per entry (for a terminal); `json` (the default): pino's JSON lines. */
    logFormat: z.enum(logFormats).default("json"),
    /** The built dashboard to serve at `/`; default: the copy in this package's `dist/dashboard`. */
    dashboardDir: z.string().min(1).optional(),
    /** Dashboard sessions end this long after sign-in (default 12 h)… */
    sessionLifetimeSeconds: z.number().int().positive().optional(),
    /** …or after this long unused (default 1 h). */
    sessionIdleSeconds: z.number().int().positive().optional(),
    /** Failed bearer tokens audited one by one per address, and per token, a minute; then answered 429 (default 20). */
    maxFailedAuthentications: z.number().int().positive().optional(),
    /** The same per workspace (the token's, or `default` for unknown tokens) a minute (default 100). */
    maxFailedAuthenticationsPerWorkspace: z.number().int().positive().optional(),
    /** The SDK's container build (`lockbox/dist/bundle/container.js`): deployed bundles import it as `lockbox`. */
    containerSdkFile: z.string().min(1).optional(),
    /** Containers of deployed functions' calls live at most (default: from cores and memory, `defaultMaxContainers`). */
    maxContainers: z.number().int().min(1).max(100_000).optional(),
    /** Calls that may wait for a container (default: 4 × maxContainers); past it, 429. */
    maxQueuedCalls: z.number().int().min(1).max(1_000_000).optional(),
  })
  .superRefine((options, context) => {
    for (const option of ["databaseReplicaUrl", "databaseMaxConnections"] as const) {
      if (options[option] !== undefined && options.databaseUrl === undefined)
        context.addIssue({
          code: "custom",
          path: [option],
          message: "applies to PostgreSQL only: set databaseUrl too",
        });
    }
  });

export type ServerOptions = z.input<typeof optionsSchema>;

export interface RunningServer {
  url: string;
  /** The bootstrap admin token when this start generated it: shown once, never stored in clear. */
  bootstrapToken?: string;
  close(): Promise<void>;
}

function parseOptions(input: ServerOptions) {
  const parsed = optionsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "options"}: ${issue.message}`,
    );
    throw new InvalidError(`Invalid server configuration: ${problems.join("; ")}`);
  }
  return Object.freeze(parsed.data);
}

/** Requests (function calls queued or running among them) get this long to finish on shutdown. */
export const shutdownGraceMs = 20_000;

const closingMessage =
  "The server is shutting down: send the request again, to another instance or once it is back";

/**
 * While the server closes, a new request (one on a kept-alive connection) is refused with 503,
 * and each answer ends its connection: a kept-alive connection whose request was in flight would
 * otherwise hold the server open until the client let go.
 */
function refuseWhenClosing(app: FastifyInstance): () => void {
  let closing = false;
  // Marked as they arrive: a request in flight may reach the hook below only after the close began.
  const late = new WeakSet<IncomingMessage>();
  app.server.prependListener("request", (raw: IncomingMessage) => {
    if (closing) late.add(raw);
  });
  app.addHook("onRequest", async (request, reply) => {
    if (late.has(request.raw)) return sendError(reply, request, "unavailable", closingMessage);
  });
  app.addHook("onSend", async (_request, reply) => {
    if (closing) reply.header("connection", "close");
  });
  return () => {
    closing = true;
  };
}

/** Opens the data folder, bootstraps an empty store, and serves the API until `close`. */
export async function startServer(input: ServerOptions): Promise<RunningServer> {
  const options = parseOptions(input);
  const lockbox = await openLockbox(
    {
      dataDir: options.dataDir,
      encodedKey: options.encodedKey,
      databaseUrl: options.databaseUrl,
      databaseReplicaUrl: options.databaseReplicaUrl,
      databaseMaxConnections: options.databaseMaxConnections,
    },
    {
      sessions: {
        ...(options.sessionLifetimeSeconds ? { lifetimeSeconds: options.sessionLifetimeSeconds } : {}),
        ...(options.sessionIdleSeconds ? { idleSeconds: options.sessionIdleSeconds } : {}),
      },
      maxFailedAuthentications: options.maxFailedAuthentications,
      maxFailedAuthenticationsPerWorkspace: options.maxFailedAuthenticationsPerWorkspace,
      execution: {
        sdkFile: options.containerSdkFile,
        maxContainers: options.maxContainers,
        maxQueuedCalls: options.maxQueuedCalls,
      },
    },
  );
  try {
    const generated = await bootstrap(lockbox.store, { token: options.bootstrapToken });
    const logger = createServerLogger({ level: options.logLevel, format: options.logFormat });
    const app = await buildApp({ ...lockbox, logger, dashboardDir: options.dashboardDir });
    const beginClosing = refuseWhenClosing(app);
    const address = await app.listen({ host: options.host, port: options.port });
    const { maxContainers, maxQueuedCalls } = lockbox.functions.capacity();
    app.log.info(
      `Function calls run in at most ${maxContainers} containers, with ${maxQueuedCalls} waiting at most`,
    );
    return {
      url: address,
      ...(generated ? { bootstrapToken: generated } : {}),
      async close() {
        // Requests in flight (function calls too, queued or running) get this long to finish;
        // then their connections are cut. The containers stop after, with the store.
        beginClosing();
        const deadline = setTimeout(() => app.server.closeAllConnections(), shutdownGraceMs);
        try {
          await app.close();
        } finally {
          clearTimeout(deadline);
        }
        await lockbox.close();
      },
    };
  } catch (error) {
    await lockbox.close();
    throw error;
  }
}
