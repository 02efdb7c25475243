import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  type ErrorCode,
  errorCodes,
  httpStatusByCode,
  LockboxError,
  RemoteError,
  ResourceExhaustedError,
} from "../shared/errors.js";

/** The one error body of the API: `{ "error": { "code", "message", "requestId" } }`. */
export function sendError(
  reply: FastifyReply,
  request: FastifyRequest,
  code: ErrorCode,
  message: string,
  status?: number,
) {
  return reply
    .code(status ?? httpStatusByCode[code])
    .send({ error: { code, message, requestId: request.id } });
}

// Fastify's own 4xx errors whose messages hold no request data and can be shown as they are.
const safeFastifyMessages = new Set([
  "FST_ERR_CTP_BODY_TOO_LARGE",
  "FST_ERR_CTP_INVALID_MEDIA_TYPE",
  "FST_ERR_CTP_EMPTY_JSON_BODY",
  "FST_ERR_NOT_FOUND",
]);

/**
 * Our rules' messages (zod "custom" issues) name what was wrong on their own, and read the same as
 * in embedded mode; zod's own messages get the field they are about.
 */
function validationMessage(error: FastifyError): string {
  const details = (error.validation ?? []).map((issue) => {
    const path = issue.instancePath.replace(/^\//, "").replaceAll("/", ".");
    return issue.keyword === "custom" || !path
      ? issue.message
      : `${error.validationContext} ${path}: ${issue.message}`;
  });
  return details.join("; ");
}

/** The API's error body: `requestId` finds the request's log lines; a function's own error adds its name and stack. */
export const errorBody = z
  .object({
    code: z.enum(errorCodes).describe("Stable across versions; the SDK rebuilds its error class from it"),
    message: z.string().describe("What was wrong and what is allowed; never a value"),
    requestId: z.string().describe("Finds the request's lines in the server log"),
    remoteName: z.string().optional().describe("`remote_error`: the name of the error the function threw"),
    remoteStack: z
      .string()
      .optional()
      .describe("`remote_error`: its stack, as the function's container saw it"),
    retryAfterSeconds: z
      .number()
      .optional()
      .describe("`resource_exhausted`: when to try again (also the `Retry-After` header)"),
  })
  .meta({ id: "ErrorBody" });

export type ErrorBody = z.output<typeof errorBody>;

/** Every error answer of the API, whatever its status: `{ "error": ErrorBody }`. */
export const errorResponse = z.object({ error: errorBody }).meta({ id: "Error" });

/** The status and body an error is answered with; messages of unexpected errors are never sent, only logged. */
export function errorAnswer(
  error: FastifyError,
  request: FastifyRequest,
): { status: number; body: ErrorBody } {
  const answer = (code: ErrorCode, message: string, status = httpStatusByCode[code]) => ({
    status,
    body: { code, message, requestId: request.id },
  });
  if (error instanceof RemoteError) {
    const { status, body } = answer(error.code, error.message);
    const stack = error.remoteStack === undefined ? {} : { remoteStack: error.remoteStack };
    return { status, body: { ...body, remoteName: error.remoteName, ...stack } };
  }
  if (error instanceof LockboxError) {
    if (httpStatusByCode[error.code] >= 500)
      request.log.error({ code: error.code, err: error }, "request failed");
    const { status, body } = answer(error.code, error.message);
    if (error instanceof ResourceExhaustedError)
      return { status, body: { ...body, retryAfterSeconds: error.retryAfterSeconds } };
    return { status, body };
  }
  if (hasZodFastifySchemaValidationErrors(error)) return answer("invalid", validationMessage(error));
  // Data nested deeper than the stack goes (a body of 100,000 nested arrays) is the caller's doing.
  if (error instanceof RangeError && /call stack/i.test(error.message))
    return answer(
      "invalid",
      "The request is nested too deeply: send data nested at most a few thousand levels",
    );
  const status = error.statusCode ?? 500;
  if (status < 500) {
    // A JSON syntax error's message can quote the body, and the body can hold values.
    const message = safeFastifyMessages.has(error.code)
      ? error.message
      : "The request is malformed: send a JSON body";
    return answer(status === 401 ? "unauthenticated" : "invalid", message, status);
  }
  request.log.error({ err: error }, "unexpected error");
  return answer("internal", "Internal server error; the server log has details under this requestId");
}

/** Maps every error to the API's error body. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const { status, body } = errorAnswer(error, request);
  if (body.retryAfterSeconds !== undefined) reply.header("retry-after", String(body.retryAfterSeconds));
  return reply.code(status).send({ error: body });
}
