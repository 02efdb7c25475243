import { deserialize, serialize } from "node:v8";
import { InternalError, InvalidError } from "@lockbox/server/shared";
import { answeredError, errorFromBody, type HttpClientOptions, reach } from "./http-client.js";

/** A deployed function, by the names it was deployed under. */
export interface FunctionRef {
  environment: string;
  app: string;
  function: string;
}

/** Where a call's output goes as the server streams it (already masked there). */
export interface CallOutput {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

type CallEvent =
  | { stdout: string }
  | { stderr: string }
  | { cloneResult: string; version: number }
  | { error: Parameters<typeof errorFromBody>[0] };

/** The events of a streamed answer, one JSON object a line. */
async function* events(body: ReadableStream<Uint8Array>): AsyncGenerator<CallEvent> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of body) {
    text += decoder.decode(chunk, { stream: true });
    let end = text.indexOf("\n");
    for (; end >= 0; end = text.indexOf("\n")) {
      yield JSON.parse(text.slice(0, end)) as CallEvent;
      text = text.slice(end + 1);
    }
  }
}

/**
 * Calls of deployed functions on a Lockbox server, which runs them in its own containers and
 * reads their secrets itself: arguments and results cross as structured clone, output streams.
 */
export function createFunctionCaller(options: HttpClientOptions) {
  const base = options.url.replace(/\/+$/, "");
  return {
    async call(
      ref: FunctionRef,
      args: unknown[],
      output: CallOutput,
      signal?: AbortSignal,
    ): Promise<unknown> {
      let cloneArgs: string;
      try {
        cloneArgs = serialize(args).toString("base64");
      } catch {
        throw new InvalidError(
          `Arguments of function '${ref.function}' must be structured-clone data (no functions or symbols)`,
        );
      }
      const path = [ref.environment, "apps", ref.app, "functions", ref.function]
        .map(encodeURIComponent)
        .join("/");
      const response = await reach(base, `${base}/v1/environments/${path}/call`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${options.token}`,
          "content-type": "application/json",
          accept: "application/x-ndjson",
        },
        body: JSON.stringify({ cloneArgs }),
        ...(signal ? { signal } : {}),
      });
      if (!response.ok || !response.body)
        throw answeredError(response.status, await response.json().catch(() => undefined));
      for await (const event of events(response.body)) {
        if ("stdout" in event) output.stdout.write(event.stdout);
        else if ("stderr" in event) output.stderr.write(event.stderr);
        else if ("error" in event) throw errorFromBody(event.error);
        else return deserialize(Buffer.from(event.cloneResult, "base64"));
      }
      throw new InternalError(
        `The Lockbox server at ${base} ended the call of '${ref.function}' without its result`,
      );
    },
  };
}

export type FunctionCaller = ReturnType<typeof createFunctionCaller>;
