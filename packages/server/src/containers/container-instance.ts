import type { ChildProcess } from "node:child_process";
import { FunctionTimeoutError, InternalError, InvalidError, RemoteError } from "../shared/errors.js";
import { quote } from "../shared/rules.js";
import { type ContainerBackend, killContainer, memoryLimitMb } from "./container-backend.js";
import { channelOf } from "./container-channel.js";
import { type Failure, isPayload, maskedOutput, type Reply, watchExit } from "./container-child.js";
import type { CallOptions, ContainerSpec } from "./container-types.js";
import { watchContainer } from "./container-watch.js";
import { maskText } from "./output-mask.js";
import type { OutputSink } from "./output-sink.js";
import type { Payload } from "./payload.js";

/** The least time a container gets to import its bundle and say it is ready. */
const startTimeoutMs = 30_000;

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
type CallOutputListener = (stream: "stdout" | "stderr", chunk: Buffer) => void;

interface Settler<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** The call a container runs: how it ends, where its output goes, the encoding its result must come back in. */
interface RunningCall extends Settler<Payload> {
  id: number;
  timer: NodeJS.Timeout;
  encoding: Payload["encoding"];
  listener: CallOutputListener | undefined;
  /** Its reply came: it is settled once its output has reached the caller, whatever happens meanwhile. */
  answered: boolean;
}

/**
 * Where a container is in its life. It starts, then runs calls one at a time (idle between them);
 * told to stop (or breaking a rule) it is stopping until its process exits. A call running as it
 * stops fails at the exit, with the reason it was stopped.
 */
type Phase =
  | { name: "starting"; started: Settler<void> }
  | { name: "idle" }
  | { name: "running"; call: RunningCall }
  | { name: "stopping"; reason: string; call?: RunningCall | undefined }
  | { name: "exited"; reason: string; stoppedBecause?: string | undefined };

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
  let phase: Phase;
  let nextId = 1;
  const running = () => (phase.name === "running" || phase.name === "stopping" ? phase.call : undefined);
  // Output goes to the call running: what a container writes between calls (a timer the
  // function left) reaches no caller.
  const tap = (which: "stdout" | "stderr") => (chunk: Buffer | string) =>
    running()?.listener?.(which, typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  const masks = [
    maskedOutput(child.stdout, output.stdout, spec.maskValues, tap("stdout")),
    maskedOutput(child.stderr, output.stderr, spec.maskValues, tap("stderr")),
  ];
  const hide = (text: string) => maskText(text, spec.maskValues);
  // A container's replies are JSON it chose: every field is made text before it is used.
  const remote = (reply: Failure) =>
    new RemoteError(
      hide(String(reply.message)),
      hide(String(reply.name)),
      reply.stack === undefined ? undefined : hide(String(reply.stack)),
    );

  // Why the container takes no more calls, the same for calls in flight and calls that come late.
  const goneError = () => {
    const stoppedBecause =
      (phase.name === "stopping"
        ? phase.reason
        : phase.name === "exited"
          ? phase.stoppedBecause
          : undefined) ?? backend.failure(child);
    const exitReason = phase.name === "exited" ? phase.reason : "its channel closed";
    return new RemoteError(
      stoppedBecause
        ? `Container for function ${name} was stopped (${stoppedBecause})`
        : `Container for function ${name} exited unexpectedly (${exitReason})`,
      "ContainerExitError",
    );
  };
  const cancelled = () =>
    new InternalError(`The call of function ${name} was cancelled: its caller went away`);

  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const exited = watchExit(child).then((reason) => {
    const before = phase;
    phase = {
      name: "exited",
      reason,
      stoppedBecause: before.name === "stopping" ? before.reason : undefined,
    };
    watch?.stop();
    const error = goneError();
    if (before.name === "starting") before.started.reject(error);
    const call = before.name === "running" || before.name === "stopping" ? before.call : undefined;
    if (call && !call.answered) {
      clearTimeout(call.timer);
      call.reject(error);
    }
  });

  // Stops the container for `reason` (the first one given is kept); resolves once it is gone.
  const stop = async (reason: string): Promise<void> => {
    if (phase.name === "starting" || phase.name === "idle" || phase.name === "running")
      phase = { name: "stopping", reason, call: running() };
    killContainer(child);
    await exited;
    // A process that escaped the group may hold the pipes open: do not wait on it for long.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  };

  const watch =
    child.pid === undefined
      ? undefined
      : watchContainer(child.pid, {
          strays: backend.strays,
          limitBytes: memoryLimitMb * 1024 * 1024,
          exceeded: () => void stop(`its processes used more than ${memoryLimitMb} MiB of memory together`),
          busy: () => phase.name === "running",
        });

  const ready = new Promise<void>((resolve, reject) => {
    // Starting (spawn plus the bundle's import) is not the call: it gets at least `startTimeoutMs`.
    const limitMs = Math.max(spec.timeoutMs, startTimeoutMs);
    const timer = setTimeout(
      () =>
        failStart(
          new FunctionTimeoutError(`The container for function ${name} did not start within ${limitMs} ms`),
        ),
      limitMs,
    );
    phase = {
      name: "starting",
      started: {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      },
    };
  });
  function failStart(error: Error): void {
    if (phase.name !== "starting") return;
    phase.started.reject(error);
    void stop("it failed to start");
  }

  // The call `id` was answered: once nothing it started is left, and the output it wrote before
  // its reply (held-back text too) has reached the caller, it is settled and the container idle.
  const finish = (id: number, settle: (call: RunningCall) => void) => {
    const call = running();
    if (call?.id !== id || call.answered) return;
    call.answered = true;
    clearTimeout(call.timer);
    void (watch?.clear() ?? Promise.resolve()).then(() =>
      setImmediate(() => {
        for (const mask of masks) mask?.settle();
        if (phase.name === "running" && phase.call === call) phase = { name: "idle" };
        call.listener = undefined;
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
    if (reply.type === "ready") {
      if (phase.name !== "starting") return;
      phase.started.resolve();
      phase = { name: "idle" };
    } else if (reply.type === "failed") failStart(remote(reply));
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
      return (phase.name === "idle" || phase.name === "running") && channel.open;
    },
    stop: () => stop("the pool closed"),
    call: (args, options = {}) =>
      new Promise((resolve, reject) => {
        if (!container.usable) return reject(goneError());
        if (phase.name !== "idle")
          return reject(new InternalError(`The container for function ${name} already runs a call`));
        const { signal } = options;
        if (signal?.aborted) return reject(cancelled());
        const id = nextId++;
        // A call that ends early stops its container: what it was doing is not left to finish.
        const end = (error: Error, reason: string) => {
          if (running() !== call || call.answered) return;
          call.answered = true;
          clearTimeout(call.timer);
          call.listener = undefined;
          call.reject(error);
          void stop(reason);
        };
        const abort = () => end(cancelled(), "its caller went away");
        signal?.addEventListener("abort", abort, { once: true });
        const settle =
          <T>(done: (value: T) => void) =>
          (value: T) => {
            signal?.removeEventListener("abort", abort);
            done(value);
          };
        const call: RunningCall = {
          id,
          resolve: settle(resolve),
          reject: settle(reject),
          encoding: args.encoding,
          listener: options.onOutput,
          answered: false,
          timer: setTimeout(
            () =>
              end(
                new FunctionTimeoutError(`Function ${name} timed out after ${spec.timeoutMs} ms`),
                "timed out",
              ),
            spec.timeoutMs,
          ),
        };
        phase = { name: "running", call };
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
