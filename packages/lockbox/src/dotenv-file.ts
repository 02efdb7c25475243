import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InvalidError } from "@lockbox/server/shared";

/** A file's text; the message names the file, never its contents (a parser may quote what it choked on). */
export function readTextFile(path: string, kind: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new InvalidError(`Could not read ${kind} file at ${path}`);
  }
}

// dotenv's own line pattern and value rules (its `parse`, which gives no quotes and loses a
// `__proto__` key): each assignment is read with the quote it was written in.
const linePattern =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

/** The assignments of a `.env` text in order: key, value as dotenv reads it, and whether it is literal. */
function* assignments(text: string): Generator<{ key: string; value: string; literal: boolean }> {
  for (const [, key = "", raw = ""] of text.replace(/\r\n?/g, "\n").matchAll(linePattern)) {
    const trimmed = raw.trim();
    let value = trimmed.replace(/^(['"`])([\s\S]*)\1$/gm, "$2");
    if (trimmed.startsWith('"')) value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    yield { key, value, literal: /^['`]/.test(trimmed) };
  }
}

/**
 * Reads a `.env` file with dotenv rules and `${VAR}` (and `${VAR:-default}`) expansion in
 * unquoted and double-quoted values, as python-dotenv does: single-quoted values and a bare `$`
 * stay as written. A variable refers to an earlier one in the file, else to this environment.
 */
export function readDotenvFile(path: string): Record<string, string> {
  const values = new Map<string, string>();
  for (const { key, value, literal } of assignments(readTextFile(path, ".env"))) {
    values.set(
      key,
      literal
        ? value
        : value.replace(
            /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
            (_, name: string, fallback?: string) => values.get(name) ?? process.env[name] ?? fallback ?? "",
          ),
    );
  }
  // Object.fromEntries defines each key, so "__proto__" stays a key.
  return Object.fromEntries(values);
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
