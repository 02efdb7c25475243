import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InvalidError } from "@lockbox/server/shared";
import { parse } from "dotenv";
import { expand } from "dotenv-expand";

/** A file's text; the message names the file, never its contents (a parser may quote what it choked on). */
export function readTextFile(path: string, kind: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new InvalidError(`Could not read ${kind} file at ${path}`);
  }
}

/**
 * Reads a `.env` file with dotenv rules and `${VAR}` expansion. A variable refers to an earlier
 * one in the file, else to this process's environment; the file's own values win.
 */
export function readDotenvFile(path: string): Record<string, string> {
  const parsed = parse(readTextFile(path, ".env"));
  const processEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !Object.hasOwn(parsed, key)) processEnv[key] = value;
  }
  return expand({ parsed, processEnv }).parsed ?? parsed;
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
