import { resolve } from "node:path";
import { InvalidError, quote, valuesProblem } from "@lockbox/server/shared";
import type { InlineSource } from "./definitions.js";

/**
 * `Secret.fromDotenv`: the file is found and read when the app runs, in the caller's process
 * (the parser loads then, not with the SDK).
 */
export function dotenvSource(path: string | undefined, filename: string): InlineSource {
  if (typeof filename !== "string" || filename.length === 0) {
    throw new InvalidError("Secret.fromDotenv: `filename` must be a non-empty file name");
  }
  if (path !== undefined && typeof path !== "string") {
    throw new InvalidError("Secret.fromDotenv: `path` must be a file or folder path");
  }
  // A relative path means the working directory of the call that made the secret.
  const start = path === undefined ? undefined : resolve(path);
  let found: string | undefined;
  return {
    kind: "inline",
    get label() {
      return `Secret.fromDotenv(${found ?? start ?? ""})`;
    },
    async load() {
      const { findUpward, readDotenvFile } = await import("../dotenv-file.js");
      found = findUpward(filename, start ?? process.cwd());
      if (found === undefined) return {};
      const values = readDotenvFile(found);
      const problem = valuesProblem(values);
      if (problem) throw new InvalidError(`${problem} (in ${quote(found, 200)})`);
      return values;
    },
  };
}
