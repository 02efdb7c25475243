import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InvalidError } from "@lockbox/server/shared";
import { parse } from "dotenv";

/** A file's text; the message names the file, never its contents (a parser may quote what it choked on). */
export function readTextFile(path: string, kind: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new InvalidError(`Could not read ${kind} file at ${path}`);
  }
}

// dotenv's own line pattern, to see how each value was quoted (dotenv's parse drops the quotes).
const linePattern =
  /^\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?/gm;

/** Keys whose values are written in single quotes or backticks: taken literally, never expanded. */
function literalKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const [, key, raw = ""] of text.matchAll(linePattern)) {
    if (key && /^\s*['`]/.test(raw)) keys.add(key);
  }
  return keys;
}

/**
 * Reads a `.env` file with dotenv rules and `${VAR}` (and `${VAR:-default}`) expansion in
 * unquoted and double-quoted values, as python-dotenv does: single-quoted values and a bare `$`
 * stay as written. A variable refers to an earlier one in the file, else to this environment.
 */
export function readDotenvFile(path: string): Record<string, string> {
  const text = readTextFile(path, ".env");
  const literal = literalKeys(text);
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parse(text))) {
    values[key] = literal.has(key)
      ? value
      : value.replace(
          /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
          (_, name: string, fallback?: string) =>
            Object.hasOwn(values, name) ? (values[name] as string) : (process.env[name] ?? fallback ?? ""),
        );
  }
  return values;
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
