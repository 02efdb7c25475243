import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { FunctionExecutor } from "../../execution/function-executor.js";
import { schemas } from "../../shared/schemas.js";
import { answerCall, callAnswerDescription, callAnswers, callBody, callResponses } from "./call-answer.js";

const callParams = z.object({
  environment: schemas.environmentName,
  name: schemas.appName,
  function: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/, "must be a deployed function's export name"),
});

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
          description: `Calls the newest deploy's function in a container on this server, which reads the function's secrets itself. ${callAnswerDescription}`,
          params: callParams,
          body: callBody,
          response: callResponses,
        },
        config: { answers: callAnswers },
      },
      async (request, reply) => {
        const { environment, name, function: fn } = request.params;
        return answerCall(
          request,
          reply,
          () => functions.prepare(request.actor, { environment, app: name, function: fn }),
          request.body,
        );
      },
    );
  };
