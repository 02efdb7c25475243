import { InvalidError, valuesProblem } from "@lockbox/server/shared";
import { readTextFile } from "../dotenv-file.js";

export { readDotenvFile } from "../dotenv-file.js";

/** Reads a JSON object of string values; any other value is an error naming its key, not its value. */
export function readJsonFile(path: string): Record<string, string> {
  const text = readTextFile(path, "JSON");
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
  const problem = valuesProblem(data as Record<string, unknown>);
  if (problem) throw new InvalidError(problem);
  return data as Record<string, string>;
}
