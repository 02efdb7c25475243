import { PassThrough } from "node:stream";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { FunctionExecutor } from "../../execution/function-executor.js";
import { schemas } from "../../shared/schemas.js";
import { errorAnswers } from "../error-answers.js";
import { deployBodyLimit, deployedSecret, fileContents, functionFields } from "./apps.js";
import {
  answerCall,
  callAnswerDescription,
  callAnswers,
  callBody,
  callResponses,
  callStreamType,
  sendEvents,
} from "./call-answer.js";

/** A run's stream sends a line this often, so that proxies keep it open and a dead caller shows. */
const runHeartbeatMs = 15_000;

// A layer of an ephemeral run: a named secret read on the server, or values the caller sent.
const runLayer = z.discriminatedUnion("kind", [
  deployedSecret.extend({ kind: z.literal("named") }),
  z.object({
    kind: z.literal("inline"),
    label: z.string().min(1).max(256).describe("For messages: keys, never values"),
    values: schemas.values,
  }),
]);

const runBody = z.object({
  bundle: z.string().min(1),
  files: fileContents.optional(),
  functions: z.array(
    z.object({
      ...functionFields,
      app: schemas.appName
        .optional()
        .describe("The app that defines it, named in its identity token (default: the run's id)"),
      layers: z.array(runLayer),
    }),
  ),
  mask: z
    .boolean()
    .optional()
    .describe("Mask values in output and results (default true); false is `lockbox run --no-mask`"),
});

const runEvent = z
  .object({
    run: z.object({ id: z.string() }).optional().describe("The first line: the run's id, for its calls"),
    heartbeat: z.literal(true).optional(),
  })
  .meta({ id: "RunEvent", description: "One line of a run's stream" });

const runCallParams = z.object({
  run: z.string().regex(/^run_[A-Za-z0-9_-]{32}$/, "must be a run id, as `POST …/runs` answered it"),
  index: z.coerce.number().int().min(0),
});

/**
 * Ephemeral runs: `POST /v1/environments/:environment/runs` starts one and streams for as long as
 * it lives (the caller closing the stream ends it); `POST /v1/runs/:run/functions/:index/call`
 * calls one of its functions, answered as a deployed function's call is.
 */
export const runRoutes =
  (functions: Pick<FunctionExecutor, "startRun" | "prepareRunCall">): FastifyPluginAsyncZod =>
  async (app) => {
    // Runs whose stream is open: on shutdown each ends once its calls in flight are done.
    const open = new Set<() => Promise<void>>();
    app.addHook("preClose", async () => {
      await Promise.all([...open].map((drain) => drain()));
    });

    app.post(
      "/environments/:environment/runs",
      {
        bodyLimit: deployBodyLimit,
        schema: {
          description: `Starts an ephemeral run (developer role): the caller's bundle, its functions' files and layers, inline values held in this server's memory only. Answers \`${callStreamType}\`: \`{"run":{"id"}}\`, then \`{"heartbeat":true}\` every ${runHeartbeatMs / 1000} s; the run lives as long as this answer is read, and ends, its containers stopped, when the caller closes it.`,
          params: z.object({ environment: schemas.environmentName }),
          body: runBody,
          response: errorAnswers(403, 404, 429),
        },
        config: { answers: { stream: { mediaType: callStreamType, event: runEvent }, retryAfter: true } },
      },
      async (request, reply) => {
        const run = await functions.startRun(request.actor, { ...request.params, ...request.body });
        const events = new PassThrough();
        const send = (event: object) => events.write(`${JSON.stringify(event)}\n`);
        const beat = setInterval(() => send({ heartbeat: true }), runHeartbeatMs);
        let ended = false;
        const finish = async (how: () => Promise<void>) => {
          if (ended) return;
          ended = true;
          clearInterval(beat);
          open.delete(drain);
          await how();
          events.end();
        };
        const drain = () => finish(run.drain);
        open.add(drain);
        reply.raw.once("close", () => void finish(run.end));
        // A caller that went away while the run started: it ends at once.
        if (request.raw.socket.destroyed) void finish(run.end);
        send({ run: { id: run.id } });
        return sendEvents(reply, events);
      },
    );

    app.post(
      "/runs/:run/functions/:index/call",
      {
        schema: {
          description: `Calls function \`index\` of the caller's own ephemeral run (another token gets 404) in a container on this server. ${callAnswerDescription}`,
          params: runCallParams,
          body: callBody,
          response: callResponses,
        },
        config: { answers: callAnswers },
      },
      async (request, reply) => {
        return answerCall(
          request,
          reply,
          () => functions.prepareRunCall(request.actor, request.params),
          request.body,
        );
      },
    );
  };
