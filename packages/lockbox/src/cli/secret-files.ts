import { readFileSync } from "node:fs";
import { InvalidError, valueProblem } from "@lockbox/server/shared";
import { parse } from "dotenv";
import { expand } from "dotenv-expand";

// Messages name the file, never its contents: a parser's message may quote the text it choked on.
function readText(path: string, kind: string): string {
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
  const parsed = parse(readText(path, ".env"));
  const processEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !Object.hasOwn(parsed, key)) processEnv[key] = value;
  }
  return expand({ parsed, processEnv }).parsed ?? parsed;
}

/** Reads a JSON object of string values; any other value is an error naming its key, not its value. */
export function readJsonFile(path: string): Record<string, string> {
  const text = readText(path, "JSON");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new InvalidError(`Could not parse JSON file at ${path}: it is not valid JSON`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new InvalidError(
      `Could not parse JSON file at ${path}: expected an object of "KEY": "value" pairs`,
    );
  }
  for (const [key, value] of Object.entries(data)) {
    const problem = valueProblem(key, value);
    if (problem) throw new InvalidError(problem);
  }
  return data as Record<string, string>;
}
