import { PassThrough, type Readable } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Payload } from "../../containers/payload.js";
import { createOutputCollector } from "../../execution/call-output.js";
import type { CallOptions, PreparedCall } from "../../execution/prepared-call.js";
import { RemoteError } from "../../shared/errors.js";
import { errorAnswers } from "../error-answers.js";
import { errorAnswer, errorBody } from "../errors.js";

/** A call's body, for deployed functions and a run's alike: JSON arguments, or structured-clone bytes. */
export const callBody = z
  .object({
    args: z.array(z.unknown()).optional().describe("The arguments as JSON; the result is answered as JSON"),
    cloneArgs: z
      .base64()
      .optional()
      .describe(
        "The arguments as v8 structured-clone bytes in base64 (the SDK's form); answered as `cloneResult`",
      ),
  })
  .refine((body) => body.args === undefined || body.cloneArgs === undefined, {
    message: "give args (JSON) or cloneArgs (structured clone), not both",
  });

/** The media type of a streamed answer: one JSON event a line (`stdout`, `stderr`, then the result or `error`). */
export const callStreamType = "application/x-ndjson";

/** How a call's answer is described in the OpenAPI document. */
export const callAnswerDescription = `Answers its result, and its stdout and stderr, every secret value in them replaced by \`***\`: as one JSON object, or with \`Accept: ${callStreamType}\` as events while it runs.`;

const result = z.unknown().optional().describe("The result as JSON, for `args`");
const cloneResult = z
  .string()
  .optional()
  .describe("The result as v8 structured-clone bytes in base64, for `cloneArgs`");
const version = z.number().int().optional().describe("The deploy that ran it, for a deployed function");

/** A call's answer as one JSON object. */
const callAnswer = z
  .object({
    result,
    cloneResult,
    output: z.string().describe("Its stdout and stderr as written, secret values replaced by `***`"),
    version,
  })
  .meta({ id: "CallAnswer" });

const callEvent = z
  .object({
    stdout: z.string().optional(),
    stderr: z.string().optional(),
    result,
    cloneResult,
    version,
    error: errorBody.optional(),
  })
  .meta({
    id: "CallEvent",
    description:
      "One line of a streamed call: `stdout` or `stderr` as written (secret values replaced by `***`), then the result (`result` or `cloneResult`, with `version`) or the `error`",
  });

/** A call route's answers: the result, or errors from bad input to the function's own (500) and its timeout (504). */
export const callResponses = { 200: callAnswer, ...errorAnswers(403, 404, 429, 500, 504) };

/** What the OpenAPI document adds to a call route's answers: its stream, and `Retry-After` when refused for want of capacity. */
export const callAnswers = { stream: { mediaType: callStreamType, event: callEvent }, retryAfter: true };

/** Answers `events`, one JSON a line, as they are written: no schema serializes a stream. */
export function sendEvents(reply: FastifyReply, events: Readable) {
  return reply.type(callStreamType).send(events);
}

/** Output a streamed answer may hold for a caller that does not read it: past it, the call is cancelled. */
const streamBacklogMaxBytes = 8 * 1024 * 1024;

/** The result as its answer carries it; JSON text the container made is checked, never trusted. */
function resultField(result: Payload): { result: unknown } | { cloneResult: string } {
  if (result.encoding === "clone") return { cloneResult: result.data };
  try {
    return { result: JSON.parse(result.data) as unknown };
  } catch {
    throw new RemoteError("The function's container answered a result that is not JSON");
  }
}

const versionField = (call: PreparedCall) => (call.version === undefined ? {} : { version: call.version });

/** Streams a call: its masked output as it is written, one event a line, then its result or error. */
function streamCall(
  request: FastifyRequest,
  reply: FastifyReply,
  call: PreparedCall,
  run: (options: CallOptions) => Promise<Payload>,
  cancel: AbortController,
) {
  const events = new PassThrough();
  const send = (event: object) => {
    events.write(`${JSON.stringify(event)}\n`);
    // A caller that stops reading is as good as gone: its output is not held without bound.
    if (events.writableLength > streamBacklogMaxBytes) cancel.abort();
  };
  void run({ onOutput: (stream, chunk) => send({ [stream]: chunk.toString("utf8") }) })
    .then((result) => send({ ...resultField(result), ...versionField(call) }))
    .catch((error: unknown) => send({ error: errorAnswer(error as Error & { code: string }, request).body }))
    .finally(() => events.end());
  return sendEvents(reply, events);
}

/**
 * Prepares a call, runs it with the request's arguments and answers it, buffered or streamed as
 * the request asks; a caller that goes away cancels it, while it is prepared too.
 */
export async function answerCall(
  request: FastifyRequest,
  reply: FastifyReply,
  prepare: () => Promise<PreparedCall>,
  body: z.infer<typeof callBody>,
) {
  const cancel = new AbortController();
  reply.raw.once("close", () => reply.raw.writableFinished || cancel.abort());
  const call = await prepare();
  const { args, cloneArgs } = body;
  const payload: Payload =
    cloneArgs === undefined
      ? { encoding: "json", data: JSON.stringify(args ?? []) }
      : { encoding: "clone", data: cloneArgs };
  const run = (options: CallOptions) => call.run(payload, { ...options, signal: cancel.signal });
  if (request.headers.accept?.includes(callStreamType)) return streamCall(request, reply, call, run, cancel);
  const output = createOutputCollector();
  const result = await run({ onOutput: (_stream, chunk) => output.add(chunk) }).finally(() => output.close());
  return { ...resultField(result), output: output.close(), ...versionField(call) };
}
