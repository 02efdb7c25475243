import { PassThrough } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Payload } from "../../containers/payload.js";
import { createOutputCollector } from "../../execution/call-output.js";
import type { CallOptions, FunctionExecutor } from "../../execution/function-executor.js";
import { RemoteError } from "../../shared/errors.js";
import { schemas } from "../../shared/schemas.js";
import { errorAnswer } from "../errors.js";

const callParams = z.object({
  environment: schemas.environmentName,
  name: schemas.appName,
  function: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/, "must be a deployed function's export name"),
});

const callBody = z
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

/** Output a streamed answer may hold for a caller that does not read it: past it, the call is cancelled. */
export const streamBacklogMaxBytes = 8 * 1024 * 1024;

/** The result as its answer carries it; JSON text the container made is checked, never trusted. */
function resultField(result: Payload): { result: unknown } | { cloneResult: string } {
  if (result.encoding === "clone") return { cloneResult: result.data };
  try {
    return { result: JSON.parse(result.data) as unknown };
  } catch {
    throw new RemoteError("The function's container answered a result that is not JSON");
  }
}

/** Streams a call: its masked output as it is written, one event a line, then its result or error. */
function streamCall(
  request: FastifyRequest,
  reply: FastifyReply,
  version: number,
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
    .then((result) => send({ ...resultField(result), version }))
    .catch((error: unknown) => send({ error: errorAnswer(error as Error & { code: string }, request).body }))
    .finally(() => events.end());
  return reply.type(callStreamType).send(events);
}

/**
 * Calls of deployed functions: `POST /v1/environments/:environment/apps/:name/functions/:function/call`,
 * run in this server's containers; a caller that goes away cancels its call.
 */
export const functionCallRoutes =
  (functions: Pick<FunctionExecutor, "prepare">): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      "/environments/:environment/apps/:name/functions/:function/call",
      {
        schema: {
          description: `Calls the newest deploy's function in a container on this server, which reads the function's secrets itself. Answers its result, and its stdout and stderr, every secret value in them replaced by \`***\`: as one JSON object, or with \`Accept: ${callStreamType}\` as events while it runs.`,
          params: callParams,
          body: callBody,
        },
      },
      async (request, reply) => {
        const { environment, name, function: fn } = request.params;
        // Listened for first: a caller that goes away while the call is prepared cancels it too.
        const cancel = new AbortController();
        reply.raw.once("close", () => reply.raw.writableFinished || cancel.abort());
        const call = await functions.prepare(request.actor, { environment, app: name, function: fn });
        const { args, cloneArgs } = request.body;
        const payload: Payload =
          cloneArgs === undefined
            ? { encoding: "json", data: JSON.stringify(args ?? []) }
            : { encoding: "clone", data: cloneArgs };
        const run = (options: CallOptions) => call.run(payload, { ...options, signal: cancel.signal });
        if (request.headers.accept?.includes(callStreamType))
          return streamCall(request, reply, call.version, run, cancel);
        const output = createOutputCollector();
        const result = await run({ onOutput: (_stream, chunk) => output.add(chunk) }).finally(() =>
          output.close(),
        );
        return { ...resultField(result), output: output.close(), version: call.version };
      },
    );
  };
