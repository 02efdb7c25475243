import swagger, { type SwaggerTransform, type SwaggerTransformObject } from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from "fastify-type-provider-zod";
import { z } from "zod";
import { type ErrorCode, httpStatusByCode } from "../shared/errors.js";
import { errorResponse } from "./errors.js";
import { csrfHeaderName, sessionCookieName } from "./session-auth.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** What the OpenAPI document says of a route's answers beyond its schema. */
    answers?: {
      /** Its 200 answer is (or, asked for, can be) a stream of events. */
      stream?: StreamedEvents;
      /** Its 429 answers say when to try again, in `Retry-After` too. */
      retryAfter?: boolean;
    };
  }
}

const apiDescription =
  "Authenticate with `Authorization: Bearer <token>`, or (the dashboard) with the session cookie " +
  `\`${sessionCookieName}\` from \`POST /v1/sessions\`; a session's POST, PUT, PATCH and DELETE requests, ` +
  "and those that return values (a secret's `values` and `export`, apps and their deploys), " +
  `must also send the header \`${csrfHeaderName}\` with the session's \`csrfToken\`. Every error is ` +
  "answered with the schema `Error`; its `code` is stable.";

// The zod type provider targets draft 2020-12 for components unless told: OpenAPI 3.0 has no
// `type: "null"`, for one.
const zodToJsonConfig = { target: "openapi-3.0" } as const;
const zodTransform = createJsonSchemaTransform({ zodToJsonConfig });
const zodTransformObject = createJsonSchemaTransformObject({ zodToJsonConfig });

const componentPath = "#/components/schemas/";

function componentRef(schema: z.ZodType): { $ref: string } {
  const id = z.globalRegistry.get(schema)?.id;
  if (id === undefined) throw new Error("A schema referred to by name needs an id: .meta({ id })");
  return { $ref: `${componentPath}${id}` };
}

const errorRef = componentRef(errorResponse).$ref;

/** "Error (code `not_found`)": the codes the one table answers with `status`, whichever the route gives. */
function errorDescription(status: number): string {
  const codes = Object.keys(httpStatusByCode).filter(
    (code) => httpStatusByCode[code as ErrorCode] === status,
  );
  return `Error (code ${codes.map((code) => `\`${code}\``).join(" or ")})`;
}

type ResponseSchemas = Record<string, Record<string, unknown>>;

/** Events answered one JSON a line, in `mediaType`: each an `event` (a schema with an id). */
interface StreamedEvents {
  mediaType: string;
  event: z.ZodType;
}

/** A 200 answer that is a stream of events, or (`json`) one JSON object unless the caller asks for the stream. */
function streamedAnswer(stream: StreamedEvents, json: unknown): Record<string, unknown> {
  const events = { [stream.mediaType]: { schema: componentRef(stream.event) } };
  return json === undefined
    ? { description: "Events, one JSON a line, for as long as it lasts", content: events }
    : {
        description: `The answer; with \`Accept: ${stream.mediaType}\`, events as it runs`,
        content: { "application/json": { schema: json }, ...events },
      };
}

/** The zod type provider's transform, then what it cannot say: error descriptions, streams, `Retry-After`. */
const transform: SwaggerTransform = (input) => {
  const result = zodTransform(input);
  const response = result.schema.response as ResponseSchemas | undefined;
  if (response === undefined) return result;
  for (const [status, schema] of Object.entries(response)) {
    if (schema.$ref === errorRef)
      response[status] = { ...schema, description: errorDescription(Number(status)) };
  }
  const { stream, retryAfter } = input.route.config?.answers ?? {};
  if (stream !== undefined) response[200] = streamedAnswer(stream, response[200]);
  if (retryAfter && response[429] !== undefined) {
    const header = { type: "integer", description: "Seconds to wait before trying again" };
    response[429] = { ...response[429], headers: { "retry-after": header } };
  }
  return result;
};

/** The ids of the components that `value` refers to, and those refer to, and so on. */
function referencedIds(value: unknown, schemas: Record<string, unknown>): Set<string> {
  const found = new Set<string>();
  const pattern = new RegExp(`"${componentPath}([^"]+)"`, "g");
  const pending = [value];
  while (pending.length > 0) {
    for (const [, id] of JSON.stringify(pending.pop()).matchAll(pattern)) {
      if (id === undefined || found.has(id)) continue;
      found.add(id);
      pending.push(schemas[id]);
    }
  }
  return found;
}

/**
 * The zod type provider's components (every registered shape, as input and as output), less
 * those that no route uses: the answers' shapes are output only.
 */
const transformObject: SwaggerTransformObject = (input) => {
  const document = zodTransformObject(input) as {
    paths?: unknown;
    components?: { schemas?: Record<string, unknown> };
  };
  const schemas = document.components?.schemas ?? {};
  const used = referencedIds(document.paths, schemas);
  const kept = Object.fromEntries(Object.entries(schemas).filter(([id]) => used.has(id)));
  return {
    ...document,
    components: { ...document.components, schemas: kept },
  } as ReturnType<SwaggerTransformObject>;
};

/** The OpenAPI 3.0 document of the routes registered after this, at `GET /openapi.json`. */
export async function registerApiDocument(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: { title: "Lockbox API", version: "1", description: apiDescription },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer" },
          session: { type: "apiKey", in: "cookie", name: sessionCookieName },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform,
    transformObject,
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
