// Runs inside a container: `node container-main.mjs BUNDLE [--unset-pwd | --await-environment]`.
// It imports the user's bundle, then runs the calls that arrive on the IPC channel. A container
// started ahead of need (`--await-environment`, see container-spares.ts) first says it is waiting,
// then takes its secrets from the first message. Only tiny imports: this is the cold-start path
// (and the build bundles it into one file that travels with each bundle).
import { pathToFileURL } from "node:url";
import { functionRegistry, insideContainerSymbol } from "../shared/container-markers.js";
import { decodeArgs, encodeResult, RefusedCall } from "./call-codec.js";
import type { Payload } from "./payload.js";

interface EnvironmentMessage {
  type: "environment";
  env: Record<string, string>;
}

interface CallMessage {
  type: "call";
  id: number;
  functionIndex: number;
  functionName?: string;
  args: Payload;
  /** Values to mask in the result before it leaves; empty: none. */
  mask: string[];
}

function describe(error: unknown): { name: string; message: string; stack?: string } {
  if (error instanceof Error) {
    const stack = typeof error.stack === "string" && error.stack ? { stack: error.stack } : {};
    return { name: String(error.name), message: String(error.message), ...stack };
  }
  return { name: "Error", message: String(error) };
}

function send(message: object, done?: () => void): void {
  process.send?.(message, undefined, undefined, done);
}

async function run(call: CallMessage): Promise<void> {
  const label = `'${call.functionName ?? `#${call.functionIndex}`}'`;
  const fn = functionRegistry()[call.functionIndex];
  if (!fn) {
    const message = `Function ${label} is not defined by the bundle (index ${call.functionIndex})`;
    send({ type: "error", id: call.id, name: "Error", message });
    return;
  }
  try {
    const value = await (fn as (...args: unknown[]) => unknown)(...decodeArgs(call.args, label));
    send({ type: "result", id: call.id, value: encodeResult(value, call.args.encoding, call.mask, label) });
  } catch (error) {
    if (error instanceof RefusedCall) send({ type: "refused", id: call.id, message: error.message });
    else send({ type: "error", id: call.id, ...describe(error) });
  }
}

// Node removes NODE_CHANNEL_FD and NODE_CHANNEL_SERIALIZATION_MODE at startup; make sure.
for (const name of Object.keys(process.env)) {
  if (name.startsWith("NODE_CHANNEL_")) delete process.env[name];
}
(globalThis as unknown as Record<symbol, unknown>)[insideContainerSymbol] = true;
// The caller is gone (the sandbox dies with it anyway): do not linger on the bundle's timers.
process.on("disconnect", () => process.exit(0));

async function serve(bundlePath: string): Promise<void> {
  try {
    await import(pathToFileURL(bundlePath).href);
  } catch (error) {
    send({ type: "failed", ...describe(error) }, () => process.exit(1));
    return;
  }
  process.on("message", (message: CallMessage) => {
    if (message.type === "call") void run(message);
  });
  send({ type: "ready" });
}

const bundlePath = process.argv[2] ?? "";
if (process.argv.includes("--await-environment", 3)) {
  process.once("message", (message: EnvironmentMessage) => {
    // The base this process started with, plus the secrets: bubblewrap's PWD only if one gave it.
    if (!("PWD" in message.env)) delete process.env.PWD;
    Object.assign(process.env, message.env);
    void serve(bundlePath);
  });
  send({ type: "waiting" });
} else {
  // bubblewrap always sets PWD; the sandbox asks to drop it when no secret gave one.
  if (process.argv.includes("--unset-pwd", 3)) delete process.env.PWD;
  await serve(bundlePath);
}
