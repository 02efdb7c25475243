import { setTimeout as sleep } from "node:timers/promises";
import { deserialize, serialize } from "node:v8";
import { InternalError, InvalidError, ResourceExhaustedError } from "@lockbox/server/shared";
import { answeredError, errorFromBody, reach } from "./http-client.js";
import { type OpenRun, openRunStream, type RunStart } from "./run-stream.js";
import type { ServerAccess } from "./server-access.js";

/** A deployed function, by the names it was deployed under. */
interface FunctionRef {
  environment: string;
  app: string;
  function: string;
}

/** A function of an ephemeral run on the server: the run's id, the function's index in its bundle and its name. */
interface RunFunctionRef {
  run: string;
  index: number;
  name: string;
}

/** Where a call's output goes as the server streams it (already masked there). */
interface CallOutput {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** How long a call refused for want of room is sent again: as long as a call may run by default. */
const retryForMs = 5 * 60_000;

type CallEvent =
  | { stdout: string }
  | { stderr: string }
  | { cloneResult: string; version: number }
  | { error: Parameters<typeof errorFromBody>[0] };

/** The longest event line taken from a server: a result's base64 and more. */
const eventMaxChars = 64 * 1024 * 1024;

/** The events of a streamed answer, one JSON object a line. */
async function* events(body: ReadableStream<Uint8Array>, base: string): AsyncGenerator<CallEvent> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of body) {
    text += decoder.decode(chunk, { stream: true });
    if (text.length > eventMaxChars && !text.includes("\n"))
      throw new InternalError(`The Lockbox server at ${base} sent an event over ${eventMaxChars} characters`);
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n")) {
      yield JSON.parse(text.slice(0, end)) as CallEvent;
      text = text.slice(end + 1);
    }
  }
}

/**
 * Calls of deployed functions, and of an ephemeral run's, on a Lockbox server, which runs them in
 * its own containers and reads their secrets itself: arguments and results cross as structured
 * clone, output streams.
 */
export function createFunctionCaller(options: ServerAccess) {
  const base = options.url.replace(/\/+$/, "");

  async function callOnce(
    path: string,
    name: string,
    cloneArgs: string,
    output: CallOutput,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const response = await reach(base, `${base}/v1/${path}/call`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await options.bearer()}`,
        "content-type": "application/json",
        accept: "application/x-ndjson",
      },
      body: JSON.stringify({ cloneArgs }),
      ...(signal ? { signal } : {}),
    });
    if (!response.ok || !response.body)
      throw answeredError(response.status, await response.json().catch(() => undefined));
    for await (const event of events(response.body, base)) {
      if ("stdout" in event) output.stdout.write(String(event.stdout));
      else if ("stderr" in event) output.stderr.write(String(event.stderr));
      else if ("error" in event) throw errorFromBody(event.error);
      // Copied out of Node's shared buffer pool: a typed array in the result is a view on it.
      else return deserialize(new Uint8Array(Buffer.from(String(event.cloneResult), "base64")));
    }
    throw new InternalError(`The Lockbox server at ${base} ended the call of '${name}' without its result`);
  }

  /** A call the server refuses for want of room is sent again after the time it names. */
  async function callWithRetry(
    path: string,
    name: string,
    args: unknown[],
    output: CallOutput,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    let cloneArgs: string;
    try {
      cloneArgs = serialize(args).toString("base64");
    } catch {
      throw new InvalidError(
        `Arguments of function '${name}' must be structured-clone data (no functions or symbols)`,
      );
    }
    for (let waitedMs = 0; ; ) {
      try {
        return await callOnce(path, name, cloneArgs, output, signal);
      } catch (error) {
        // Refused before it ran: safe to send again, for as long as a call may wait.
        if (!(error instanceof ResourceExhaustedError) || waitedMs >= retryForMs) throw error;
        // What the server names, kept between 1 and 60 s whatever it says.
        const seconds = Math.min(Math.max(Number(error.retryAfterSeconds) || 1, 1), 60);
        const delayMs = seconds * 1000 * (0.5 + Math.random());
        await sleep(delayMs, undefined, signal ? { signal } : {});
        waitedMs += delayMs;
      }
    }
  }

  return {
    /** Calls the deployed function `ref` with `args`. */
    call(ref: FunctionRef, args: unknown[], output: CallOutput, signal?: AbortSignal): Promise<unknown> {
      const path = [ref.environment, "apps", ref.app, "functions", ref.function].map(encodeURIComponent);
      return callWithRetry(`environments/${path.join("/")}`, ref.function, args, output, signal);
    },

    /** Starts an ephemeral run of `body` in `environment`: it lives until its `close`, or this process's end. */
    openRun: (environment: string, body: RunStart): Promise<OpenRun> =>
      openRunStream(options, environment, body),

    /** Calls function `ref.index` of the ephemeral run `ref.run`, which this token started. */
    callInRun(
      ref: RunFunctionRef,
      args: unknown[],
      output: CallOutput,
      signal?: AbortSignal,
    ): Promise<unknown> {
      const path = `runs/${encodeURIComponent(ref.run)}/functions/${ref.index}`;
      return callWithRetry(path, ref.name, args, output, signal);
    },
  };
}

export type FunctionCaller = ReturnType<typeof createFunctionCaller>;
