import type { ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import { OutputMask } from "./output-mask.js";
import type { OutputSink } from "./output-sink.js";
import type { Payload } from "./payload.js";

// What the host sees of a container's process: its replies on the channel, its masked output,
// its exit.

/** A function's error as its container describes it. */
export type Failure = { name: string; message: string; stack?: string };

/** A container's replies on its channel (container-main.ts). */
export type Reply =
  | { type: "ready" }
  | ({ type: "failed" } & Failure)
  | ({ type: "error"; id: number } & Failure)
  | { type: "refused"; id: number; message: string }
  | { type: "result"; id: number; value: Payload };

/** Whether a container's `value` is a payload in the call's encoding. */
export const isPayload = (value: unknown, encoding: Payload["encoding"]): value is Payload =>
  typeof value === "object" &&
  value !== null &&
  (value as Payload).encoding === encoding &&
  typeof (value as Payload).data === "string";

/**
 * Forwards `source` to `sink` with `values` masked, and taps the masked chunks for the call
 * running; the mask, to settle (flush what it holds back) when a call ends.
 */
export function maskedOutput(
  source: Readable | null,
  sink: OutputSink,
  values: string[],
  tap: (chunk: Buffer | string) => void,
): OutputMask | undefined {
  if (!source) return undefined;
  const mask = values.length === 0 ? undefined : new OutputMask(values);
  const masked = mask ? source.pipe(mask) : source;
  sink.attach(masked);
  // A second reader of the same chunks: it neither consumes them nor changes the flow.
  masked.on("data", tap);
  return mask;
}

/** Why `child` exited (or could not start), once it has. */
export function watchExit(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`));
    // Later errors (a send to a dead channel) come before an exit event; only a failed spawn has no pid.
    child.on("error", (error) => {
      if (child.pid === undefined) resolve(`could not start: ${error.message}`);
    });
  });
}
