import pino, { type DestinationStream, type Logger } from "pino";
import type { logFormats } from "../config/config-settings.js";
import { redactedPaths } from "./app.js";
import { prettyLogLine } from "./pretty-log-line.js";

/** How log lines are written: `pretty` (one readable line each, for a terminal) or `json` (pino's own). */
export type LogFormat = (typeof logFormats)[number];

/** The level, the format and (for tests) where the lines go. */
interface ServerLoggerOptions {
  level: string;
  format: LogFormat;
  /** Where the lines go (default: standard output). */
  destination?: DestinationStream;
}

function prettyLines(out: DestinationStream): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split("\n")) if (line !== "") out.write(prettyLogLine(line));
    },
  };
}

/** The server's pino logger: credentials are redacted before a line is formatted, in either format. */
export function createServerLogger(options: ServerLoggerOptions): Logger {
  // Synchronous, unlike pino's default: each line is out before the next statement runs, so it
  // never lands inside what the caller prints next (the sign-in banner).
  const out = options.destination ?? pino.destination({ dest: 1, sync: true });
  const settings = { level: options.level, redact: { paths: redactedPaths, censor: "[redacted]" } };
  return pino(settings, options.format === "pretty" ? prettyLines(out) : out);
}
