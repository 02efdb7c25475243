import type { FastifyInstance, RouteOptions } from "fastify";
import { errorResponse } from "./errors.js";

type ErrorAnswers<S extends readonly number[]> = { [K in S[number]]: typeof errorResponse };

/** `{ [status]: Error }`, for a route's `schema.response`: error answers it gives beyond its scope's. */
export function errorAnswers<const S extends readonly number[]>(...statuses: S): ErrorAnswers<S> {
  return Object.fromEntries(statuses.map((status) => [status, errorResponse])) as ErrorAnswers<S>;
}

/**
 * Gives every route registered in `scope` (its children's too) the error answers `statuses`
 * finds for it, in its `schema.response`: the OpenAPI document lists them, and Fastify serializes
 * them with the one error schema. A route's own answer for a status comes first.
 */
export function documentErrorAnswers(
  scope: FastifyInstance,
  statuses: (route: RouteOptions) => readonly number[],
): void {
  scope.addHook("onRoute", (route) => {
    const schema = route.schema ?? {};
    const own = schema.response as Record<string, unknown> | undefined;
    route.schema = { ...schema, response: { ...errorAnswers(...statuses(route)), ...own } };
  });
}

/** Whether a route checks what it is sent: its parameters, query string, headers or body. */
export const validatesInput = (route: RouteOptions): boolean =>
  Boolean(route.schema?.params || route.schema?.querystring || route.schema?.headers || route.schema?.body);
