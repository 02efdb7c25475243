import type { IncomingMessage } from "node:http";
import { InternalError } from "@lockbox/server/shared";
import { answeredError } from "./http-client.js";
import type { ServerAccess } from "./server-access.js";

/** What a run on the server is started with: the bundle, its functions' files and layers. */
export interface RunStart {
  bundle: string;
  files?: Record<string, string> | undefined;
  functions: {
    index: number;
    name: string;
    /** The name of the app that defines it, when it has one: the function's identity token names it. */
    app?: string;
    layers: (
      | { kind: "named"; name: string; environment?: string; requiredKeys?: string[] }
      | { kind: "inline"; label: string; values: Record<string, string> }
    )[];
    timeoutMs?: number;
    network?: string;
    tmpMb?: number;
    files?: unknown[];
  }[];
  /** Mask values in output and results (default true). */
  mask?: boolean;
}

/** A run open on the server, alive as long as its stream is. */
export interface OpenRun {
  id: string;
  /** Closes the stream: the server ends the run, stopping its containers. */
  close(): void;
}

async function bodyOf(response: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of response) text += String(chunk);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Starts an ephemeral run on the server and holds its stream open (node:http, so that closing it
 * closes the connection and nothing else). Once the run started its socket is unref'd: an open
 * run never keeps this process alive, and when the process dies the server sees the connection
 * go and ends the run.
 */
export async function openRunStream(
  options: ServerAccess,
  environment: string,
  body: RunStart,
): Promise<OpenRun> {
  const base = options.url.replace(/\/+$/, "");
  const url = new URL(`${base}/v1/environments/${encodeURIComponent(environment)}/runs`);
  const { request } = url.protocol === "https:" ? await import("node:https") : await import("node:http");
  const authorization = `Bearer ${await options.bearer()}`;
  return new Promise<OpenRun>((resolve, reject) => {
    const sent = request(url, {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
    });
    sent.on("error", (error: NodeJS.ErrnoException) =>
      reject(new InternalError(`Cannot reach the Lockbox server at ${base}: ${error.code ?? error.message}`)),
    );
    sent.on("response", (response) => {
      if (response.statusCode !== 200) {
        void bodyOf(response).then((payload) => reject(answeredError(response.statusCode ?? 0, payload)));
        return;
      }
      let text = "";
      const first = (chunk: Buffer) => {
        text += String(chunk);
        if (!text.includes("\n")) return;
        response.off("data", first);
        response.resume(); // heartbeats, read and dropped
        response.socket.unref(); // started: from here the run never holds this process open
        const id = (JSON.parse(text.slice(0, text.indexOf("\n"))) as { run?: { id?: string } }).run?.id;
        if (typeof id !== "string") reject(new InternalError(`The Lockbox server at ${base} started no run`));
        else resolve({ id, close: () => sent.destroy() });
      };
      response.on("data", first);
      response.on("end", () => reject(new InternalError(`The Lockbox server at ${base} ended the run`)));
    });
    sent.end(JSON.stringify(body));
  });
}
