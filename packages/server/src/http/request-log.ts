import { type FastifyReply, type FastifyRequest, LogController } from "fastify";

/** The route logged for a request that matched none (a 404): a fixed word, never its URL. */
const unmatchedRoute = "(unmatched)";

/**
 * What a log line says of a request: its method and route pattern
 * (`/v1/environments/:environment/secrets/:name`), never its URL, whose path and query string can
 * hold names and cursors; the rest as Fastify logs it.
 */
export const requestLogSerializers = {
  req: (request: FastifyRequest) => ({
    method: request.method,
    route: request.routeOptions?.url ?? unmatchedRoute,
    version: request.headers?.["accept-version"],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }),
};

/** Fastify's request lines, the last one naming its request too: method, route, status and time taken. */
export class RequestLogController extends LogController {
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    if (this.isLogDisabled(request)) return;
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, "request errored");
    else reply.log.info(fields, "request completed");
  }
}
