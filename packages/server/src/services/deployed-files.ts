import { createHash } from "node:crypto";
import { InvalidError } from "../shared/errors.js";
import { limits, quote } from "../shared/rules.js";
import type { DeployedFunction } from "./deployed-function.js";

/** A file's content as a deploy stores it, named by its SHA-256. */
export interface FileContent {
  sha256: string;
  content: Buffer;
}

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The contents a deploy carries (SHA-256 → base64), checked against the functions' `files`: each
 * decodes, matches its name, is used by some function, and all of them together stay within the
 * limit; every file a function lists has its content. Throws `InvalidError` otherwise.
 */
export function deployedContents(
  functions: readonly DeployedFunction[],
  files: Record<string, string> | undefined,
): FileContent[] {
  const given = files ?? {};
  if (typeof given !== "object" || given === null || Array.isArray(given))
    throw new InvalidError("`files` of a deploy must be an object of SHA-256: base64 content");
  const used = new Set(
    functions.flatMap((fn) => (fn.files ?? []).flatMap((entry) => (entry.sha256 ? [entry.sha256] : []))),
  );
  const contents: FileContent[] = [];
  let bytes = 0;
  for (const [sha256, text] of Object.entries(given)) {
    if (!used.has(sha256))
      throw new InvalidError(`The deploy carries content ${quote(sha256)} that no function uses`);
    if (typeof text !== "string" || text.length % 4 !== 0 || !base64Pattern.test(text))
      throw new InvalidError(`The content ${quote(sha256)} of a deploy must be base64`);
    const content = Buffer.from(text, "base64");
    if (createHash("sha256").update(content).digest("hex") !== sha256)
      throw new InvalidError(`The content ${quote(sha256)} of a deploy does not match its SHA-256`);
    bytes += content.length;
    if (bytes > limits.filesMaxBytes)
      throw new InvalidError(`The files of a deploy are over ${limits.filesMaxBytes} bytes together`);
    contents.push({ sha256, content });
  }
  const missing = [...used].find((sha256) => !Object.hasOwn(given, sha256));
  if (missing)
    throw new InvalidError(`The deploy lacks the content ${quote(missing)} that a function's files name`);
  return contents;
}
