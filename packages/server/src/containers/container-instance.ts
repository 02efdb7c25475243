import type { ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import { FunctionTimeoutError, InternalError, InvalidError, RemoteError } from "../shared/errors.js";
import { quote } from "../shared/rules.js";
import { type ContainerBackend, killContainer, memoryLimitMb } from "./container-backend.js";
import { channelOf } from "./container-channel.js";
import type { CallOptions, ContainerSpec } from "./container-types.js";
import { watchContainer } from "./container-watch.js";
import { maskText, OutputMask } from "./output-mask.js";
import type { OutputSink } from "./output-sink.js";
import type { Payload } from "./payload.js";

type Failure = { name: string; message: string; stack?: string };
type Reply =
  | { type: "ready" }
  | ({ type: "failed" } & Failure)
  | ({ type: "error"; id: number } & Failure)
  | { type: "refused"; id: number; message: string }
  | { type: "result"; id: number; value: Payload };

/** The least time a container gets to import its bundle and say it is ready. */
export const startTimeoutMs = 30_000;

/** One container: a warm process that runs calls of one function, one at a time. */
export interface Container {
  readonly spec: ContainerSpec;
  /** Resolves once the bundle is imported; rejects when the container fails to start. */
  readonly ready: Promise<void>;
  /** False once the container was told to stop or has exited: it takes no more calls. */
  readonly usable: boolean;
  /** Resolves when the container's process has exited. */
  readonly exited: Promise<void>;
  /**
   * Runs one call, its result in the arguments' encoding. `onOutput` also receives the call's
   * (masked) output as it is written.
   */
  call(args: Payload, options?: CallOptions): Promise<Payload>;
  /** Stops the container; resolves once it is gone. */
  stop(): Promise<void>;
}

/** Where containers write: the caller's stdout and stderr, shared by every container of a pool. */
export interface ContainerSinks {
  stdout: OutputSink;
  stderr: OutputSink;
}

/** Receives a call's output, masked, as its container writes it. */
export type CallOutputListener = (stream: "stdout" | "stderr", chunk: Buffer) => void;

interface Settler<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A call sent to the container: how it ends, and the encoding its result must come back in. */
type PendingCall = Settler<Payload> & { timer: NodeJS.Timeout; encoding: Payload["encoding"] };

const isPayload = (value: unknown, encoding: Payload["encoding"]): value is Payload =>
  typeof value === "object" &&
  value !== null &&
  (value as Payload).encoding === encoding &&
  typeof (value as Payload).data === "string";

function stream(
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

function watchExit(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`));
    // Later errors (a send to a dead channel) come before an exit event; only a failed spawn has no pid.
    child.on("error", (error) => {
      if (child.pid === undefined) resolve(`could not start: ${error.message}`);
    });
  });
}

/**
 * The container for `spec` that `child` runs (spawned for it, or a spare given its environment);
 * calls may be made once `ready` resolves. Its backend finds the processes the function started
 * (container-watch.ts) and says why it stopped a container itself.
 */
export function createContainer(
  child: ChildProcess,
  spec: ContainerSpec,
  output: ContainerSinks,
  backend: Pick<ContainerBackend, "strays" | "failure">,
): Container {
  const name = quote(spec.functionName);
  // The listener of the call running: a container runs one call at a time, and what it writes
  // between calls (a timer the function left) reaches no caller.
  let listener: CallOutputListener | undefined;
  const tap = (which: "stdout" | "stderr") => (chunk: Buffer | string) =>
    listener?.(which, typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  const masks = [
    stream(child.stdout, output.stdout, spec.maskValues, tap("stdout")),
    stream(child.stderr, output.stderr, spec.maskValues, tap("stderr")),
  ];
  const hide = (text: string) => maskText(text, spec.maskValues);
  // A container's replies are JSON it chose: every field is made text before it is used.
  const remote = (reply: Failure) =>
    new RemoteError(
      hide(String(reply.message)),
      hide(String(reply.name)),
      reply.stack === undefined ? undefined : hide(String(reply.stack)),
    );
  const pending = new Map<number, PendingCall>();
  let starting: Settler<void> | undefined;
  let stopping: string | undefined;
  let exitReason: string | undefined;
  let nextId = 1;

  // Why the container takes no more calls, the same for calls in flight and calls that come late.
  const goneError = () => {
    const stoppedBecause = stopping ?? backend.failure(child);
    return new RemoteError(
      stoppedBecause
        ? `Container for function ${name} was stopped (${stoppedBecause})`
        : `Container for function ${name} exited unexpectedly (${exitReason ?? "its channel closed"})`,
      "ContainerExitError",
    );
  };
  const cancelled = () =>
    new InternalError(`The call of function ${name} was cancelled: its caller went away`);
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const exited = watchExit(child).then((reason) => {
    exitReason = reason;
    const error = goneError();
    starting?.reject(error);
    watch?.stop();
    for (const call of pending.values()) {
      clearTimeout(call.timer);
      call.reject(error);
    }
    pending.clear();
  });

  const watch =
    child.pid === undefined
      ? undefined
      : watchContainer(child.pid, {
          strays: backend.strays,
          limitBytes: memoryLimitMb * 1024 * 1024,
          exceeded: () => void stop(`its processes used more than ${memoryLimitMb} MiB of memory together`),
          busy: () => pending.size > 0,
        });

  const stop = async (reason: string): Promise<void> => {
    stopping ??= reason;
    killContainer(child);
    await exited;
    // A process that escaped the group may hold the pipes open: do not wait on it for long.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  };

  const ready = new Promise<void>((resolve, reject) => {
    // Starting (spawn plus the bundle's import) is not the call: it gets at least `startTimeoutMs`.
    const limitMs = Math.max(spec.timeoutMs, startTimeoutMs);
    const timer = setTimeout(() => {
      starting?.reject(
        new FunctionTimeoutError(`The container for function ${name} did not start within ${limitMs} ms`),
      );
    }, limitMs);
    const done = () => {
      clearTimeout(timer);
      starting = undefined;
    };
    starting = {
      resolve: () => {
        done();
        resolve();
      },
      reject: (error) => {
        done();
        reject(error);
        void stop("it failed to start");
      },
    };
  });

  const finish = (id: number, settle: (call: PendingCall) => void) => {
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    clearTimeout(call.timer);
    // Nothing the call started outlives it; then output written before the reply reaches the
    // caller first, held-back text included.
    void (watch?.clear() ?? Promise.resolve()).then(() =>
      setImmediate(() => {
        for (const mask of masks) mask?.settle();
        listener = undefined;
        settle(call);
      }),
    );
  };

  const channel = channelOf(child);
  // A container that breaks its channel's protocol takes no more calls: it is stopped.
  channel.on("violation", (problem) => void stop(problem));
  channel.on("message", (message) => {
    if (typeof message !== "object" || message === null) return;
    const reply = message as Reply;
    if (reply.type === "ready") starting?.resolve();
    else if (reply.type === "failed") starting?.reject(remote(reply));
    else if (reply.type === "result")
      finish(reply.id, (call) =>
        isPayload(reply.value, call.encoding)
          ? call.resolve(reply.value)
          : call.reject(new RemoteError(`Container for function ${name} answered a malformed result`)),
      );
    else if (reply.type === "error") finish(reply.id, (call) => call.reject(remote(reply)));
    else if (reply.type === "refused")
      finish(reply.id, (call) => call.reject(new InvalidError(hide(String(reply.message)))));
  });

  const container: Container = {
    spec,
    ready,
    exited,
    get usable() {
      return stopping === undefined && exitReason === undefined && channel.open;
    },
    stop: () => stop("the pool closed"),
    call: (args, options = {}) =>
      new Promise((resolve, reject) => {
        if (!container.usable) return reject(goneError());
        const { signal } = options;
        if (signal?.aborted) return reject(cancelled());
        listener = options.onOutput;
        const id = nextId++;
        // A call that ends early stops its container: what it was doing is not left to finish.
        const end = (error: Error, reason: string) => {
          const call = pending.get(id);
          if (!call) return;
          pending.delete(id);
          clearTimeout(call.timer);
          listener = undefined;
          call.reject(error);
          void stop(reason);
        };
        const timer = setTimeout(
          () =>
            end(
              new FunctionTimeoutError(`Function ${name} timed out after ${spec.timeoutMs} ms`),
              "timed out",
            ),
          spec.timeoutMs,
        );
        const abort = () => end(cancelled(), "its caller went away");
        signal?.addEventListener("abort", abort, { once: true });
        const settle =
          <T>(done: (value: T) => void) =>
          (value: T) => {
            signal?.removeEventListener("abort", abort);
            done(value);
          };
        pending.set(id, { resolve: settle(resolve), reject: settle(reject), timer, encoding: args.encoding });
        const { functionIndex, functionName } = spec;
        channel.send({
          type: "call",
          id,
          functionIndex,
          functionName,
          args,
          mask: options.maskResult ? spec.maskValues : [],
        });
      }),
  };
  return container;
}
