// Runs inside a container: `node container-main.mjs BUNDLE [--unset-pwd | --await-environment]`.
// It imports the user's bundle, then runs the calls that arrive on its channel, fd 3 (JSON lines,
// container-channel.ts). A container
// started ahead of need (`--await-environment`, see container-spares.ts) first says it is waiting,
// then takes its secrets from the first message. Only tiny imports: this is the cold-start path
// (and the build bundles it into one file that travels with each bundle).
import { Socket } from "node:net";
import { pathToFileURL } from "node:url";
import { functionRegistry, insideContainerSymbol } from "../shared/container-markers.js";
import { decodeArgs, encodeResult, RefusedCall } from "./call-codec.js";
import { jsonLine, jsonLines } from "./json-lines.js";
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

const channel = new Socket({ fd: 3, readable: true, writable: true });
let onMessage: (message: unknown) => void = () => {};
channel.on(
  "data",
  jsonLines(
    (message) => onMessage(message),
    () => process.exit(1),
  ),
);
// The host is gone (the sandbox dies with it anyway): do not linger on the bundle's timers.
channel.on("close", () => process.exit(0));
channel.on("error", () => process.exit(0));

function send(message: object, done?: () => void): void {
  channel.write(jsonLine(message), () => done?.());
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

(globalThis as unknown as Record<symbol, unknown>)[insideContainerSymbol] = true;

async function serve(bundlePath: string): Promise<void> {
  try {
    await import(pathToFileURL(bundlePath).href);
  } catch (error) {
    send({ type: "failed", ...describe(error) }, () => process.exit(1));
    return;
  }
  onMessage = (message) => {
    if ((message as CallMessage).type === "call") void run(message as CallMessage);
  };
  send({ type: "ready" });
}

const bundlePath = process.argv[2] ?? "";
if (process.argv.includes("--await-environment", 3)) {
  onMessage = (message) => {
    const { env } = message as EnvironmentMessage;
    onMessage = () => {};
    // The base this process started with, plus the secrets: bubblewrap's PWD only if one gave it.
    if (!("PWD" in env)) delete process.env.PWD;
    Object.assign(process.env, env);
    void serve(bundlePath);
  };
  send({ type: "waiting" });
} else {
  // bubblewrap always sets PWD; the sandbox asks to drop it when no secret gave one.
  if (process.argv.includes("--unset-pwd", 3)) delete process.env.PWD;
  await serve(bundlePath);
}
