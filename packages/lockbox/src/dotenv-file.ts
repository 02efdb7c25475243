import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InvalidError, parseDotenv } from "@lockbox/server/shared";

/** A file's text; the message names the file, never its contents (a parser may quote what it choked on). */
export function readTextFile(path: string, kind: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new InvalidError(`Could not read ${kind} file at ${path}`);
  }
}

/**
 * Reads a `.env` file with the shared rules (`parseDotenv`): a `${VAR}` that no earlier line
 * assigns comes from this process's environment. Any problem is an `InvalidError` naming the file
 * and the line or key, never a value.
 */
export function readDotenvFile(path: string): Record<string, string> {
  const text = readTextFile(path, ".env");
  try {
    // Object.fromEntries defines each key, so "__proto__" stays a key.
    return Object.fromEntries(
      parseDotenv(text, {
        lookup: (name) => (Object.hasOwn(process.env, name) ? process.env[name] : undefined),
      }),
    );
  } catch (error) {
    if (!(error instanceof InvalidError)) throw error;
    throw new InvalidError(`Could not parse .env file at ${path}: ${error.message}`);
  }
}

const isFile = (path: string) => statSync(path, { throwIfNoEntry: false })?.isFile() === true;

/**
 * The first `filename` found in `start`'s folder or above it (`start`: a file, whose folder is
 * searched first, or a folder); undefined when there is none up to the root.
 */
export function findUpward(filename: string, start: string): string | undefined {
  let dir = resolve(start);
  if (isFile(dir)) dir = dirname(dir);
  for (;;) {
    const candidate = join(dir, filename);
    if (isFile(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
