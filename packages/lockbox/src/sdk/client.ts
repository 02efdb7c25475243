import type { LockboxApi } from "@lockbox/server";
import type { Connection } from "../client/connect.js";
import type { FunctionCaller } from "../client/function-calls.js";

// One connection per process, opened on first use: importing the SDK opens nothing, so a
// container (which never talks to Lockbox) loads fast.
let connection: Promise<Connection> | undefined;
let closesAtExit = false;

async function open(): Promise<Connection> {
  const { connect } = await import("../client/connect.js");
  const opened = await connect();
  if (!closesAtExit) {
    closesAtExit = true;
    process.on("beforeExit", () => void closeClient());
  }
  return opened;
}

/** The API of the process's connection to Lockbox, connecting on first use. */
export async function clientApi(): Promise<LockboxApi> {
  connection ??= open().catch((error: unknown) => {
    connection = undefined; // let the next call try again
    throw error;
  });
  return (await connection).api;
}

/** In server mode, the calls of deployed functions on the server; `undefined` in embedded mode. */
export async function functionCaller(): Promise<FunctionCaller | undefined> {
  await clientApi();
  return (await connection)?.calls;
}

/** Closes the connection, if one is open; the next use opens a new one. */
export async function closeClient(): Promise<void> {
  const current = connection;
  connection = undefined;
  if (current) await (await current.catch(() => undefined))?.close();
}
