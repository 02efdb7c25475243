#!/usr/bin/env node
import { CommanderError } from "commander";
import { AbortedError } from "./confirm.js";
import { createProgram } from "./program.js";

/** 0 success, 2 usage or validation error, 1 anything else; the message goes to stderr as one line. */
async function report(error: unknown): Promise<number> {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2; // commander printed it
  if (error instanceof AbortedError) {
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  const { InvalidError } = await import("@lockbox/server/shared");
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Error: ${message.replace(/\s*\n\s*/g, " ")}\n`);
  return error instanceof InvalidError ? 2 : 1;
}

async function main(): Promise<number> {
  // KEY=VALUE arguments stay readable in /proc/PID/cmdline for the whole run; on Linux a new
  // title overwrites that memory.
  process.title = "lockbox";
  try {
    await createProgram().parseAsync(process.argv);
    return Number(process.exitCode ?? 0); // `exec` passes its command's exit code through
  } catch (error) {
    return report(error);
  }
}

process.exit(await main());
