import Fastify, { type FastifyBaseLogger } from "fastify";
import type { Registry } from "prom-client";

interface MetricsListenerOptions {
  host: string;
  port: number;
  logger: FastifyBaseLogger;
}

export interface MetricsListener {
  /** Where Prometheus scrapes: `http://HOST:PORT/metrics`. */
  url: string;
  close(): Promise<void>;
}

/**
 * `GET /metrics` in Prometheus' text format, on a listener of its own: apart from the API's port,
 * so that nothing of the server's inside shows there, and with no credential for Prometheus to hold.
 */
export async function listenForScrapes(
  registry: Registry,
  options: MetricsListenerOptions,
): Promise<MetricsListener> {
  const app = Fastify({ loggerInstance: options.logger.child({ listener: "metrics" }) });
  // Warnings only: a line for each scrape, every few seconds, would drown the API's request lines.
  app.get("/metrics", { logLevel: "warn" }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  const address = await app.listen({ host: options.host, port: options.port });
  return { url: `${address}/metrics`, close: () => app.close() };
}
