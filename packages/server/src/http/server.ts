import type { IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";
import type { Config } from "../config/config-settings.js";
import { openLockbox } from "../lockbox.js";
import { listenForScrapes, type MetricsListener } from "../metrics/metrics-listener.js";
import { addScrapeGauges } from "../metrics/scrape-gauges.js";
import { createServerMetrics } from "../metrics/server-metrics.js";
import { buildApp } from "./app.js";
import { sendError } from "./errors.js";
import { createServerLogger } from "./server-logger.js";

/** `lockbox server`'s settings, as `parseConfig("server", …)` makes them. */
type ServerConfig = Config<"server">;

/** Where the server finds files of its own package, which no user configures. */
interface ServerFiles {
  /** The built dashboard to serve at `/`; default: the copy in this package's `dist/dashboard`. */
  dashboardDir?: string | undefined;
  /** The SDK's container build (`lockbox/dist/bundle/container.js`): deployed bundles import it as `lockbox`. */
  containerSdkFile?: string | undefined;
}

export interface RunningServer {
  url: string;
  /** The bootstrap admin token when this start generated it: shown once, never stored in clear. */
  bootstrapToken?: string;
  /** Where Prometheus scrapes, when `metricsPort` is set. */
  metricsUrl?: string;
  close(): Promise<void>;
}

/** Requests (function calls queued or running among them) get this long to finish on shutdown. */
const shutdownGraceMs = 20_000;

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
export async function startServer(config: ServerConfig, files: ServerFiles = {}): Promise<RunningServer> {
  const metrics = config.metricsPort === undefined ? undefined : createServerMetrics();
  // The issuer of functions' identity tokens: the public URL, else the address, once listening.
  let issuer = config.publicUrl?.replace(/\/+$/, "");
  const lockbox = await openLockbox(
    {
      dataDir: config.dataDir,
      encodedKey: config.masterKey,
      databaseUrl: config.databaseUrl,
      databaseReplicaUrl: config.databaseReplicaUrl,
      databaseMaxConnections: config.databaseMaxConnections,
    },
    {
      sessions: {
        ...(config.sessionLifetimeSeconds ? { lifetimeSeconds: config.sessionLifetimeSeconds } : {}),
        ...(config.sessionIdleSeconds ? { idleSeconds: config.sessionIdleSeconds } : {}),
        ...(config.maxFailedSignIns ? { maxFailedSignIns: config.maxFailedSignIns } : {}),
      },
      maxFailedAuthentications: config.maxFailedAuthentications,
      maxFailedAuthenticationsPerWorkspace: config.maxFailedAuthenticationsPerWorkspace,
      execution: {
        backend: config.container,
        sdkFile: files.containerSdkFile,
        maxContainers: config.maxContainers,
        maxQueuedCalls: config.maxQueuedCalls,
      },
      identityIssuer: () => issuer,
      events: metrics?.events,
    },
  );
  let scrapes: MetricsListener | undefined;
  try {
    const generated = await lockbox.bootstrap({ token: config.bootstrapToken });
    const logger = createServerLogger({ level: config.logLevel, format: config.logFormat });
    const app = await buildApp({
      ...lockbox,
      logger,
      dashboardDir: files.dashboardDir,
      trustProxy: config.trustProxy,
      onAnswered: metrics?.answered,
    });
    const beginClosing = refuseWhenClosing(app);
    if (metrics && config.metricsPort !== undefined) {
      addScrapeGauges(metrics.registry, lockbox);
      const at = { host: config.metricsHost, port: config.metricsPort, logger };
      scrapes = await listenForScrapes(metrics.registry, at);
    }
    const address = await app.listen({ host: config.host, port: config.port });
    issuer ??= address;
    const { maxContainers, maxQueuedCalls } = lockbox.functions.capacity();
    app.log.info(
      `Function calls run in at most ${maxContainers} containers, with ${maxQueuedCalls} waiting at most`,
    );
    return {
      url: address,
      ...(generated ? { bootstrapToken: generated } : {}),
      ...(scrapes ? { metricsUrl: scrapes.url } : {}),
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
        await scrapes?.close();
        await lockbox.close();
      },
    };
  } catch (error) {
    await scrapes?.close();
    await lockbox.close();
    throw error;
  }
}

/** How the server answers an error (status and body): what the SDK rebuilds its classes from. */
export { errorAnswer } from "./errors.js";
