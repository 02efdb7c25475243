import { createHash } from "node:crypto";
import { InvalidError } from "../shared/errors.js";
import { type DeployedFileEntry, deployedFilesProblem } from "../shared/file-rules.js";
import { limits, quote } from "../shared/rules.js";

/** A file's content as a deploy stores it, named by its SHA-256. */
interface FileContent {
  sha256: string;
  content: Buffer;
}

/** A deployed function, as far as its files go. */
export interface FunctionFiles {
  name: string;
  files?: readonly DeployedFileEntry[] | undefined;
}

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

/** A content from base64, checked against its name; InvalidError when it is missing, not base64 or another. */
function decodeContent(sha256: string, text: unknown): Buffer {
  if (text === undefined)
    throw new InvalidError(`The deploy lacks the content ${quote(sha256)} that a function's files name`);
  if (typeof text !== "string" || text.length % 4 !== 0 || !base64Pattern.test(text))
    throw new InvalidError(`The content ${quote(sha256)} of a deploy must be base64`);
  const content = Buffer.from(text, "base64");
  if (createHash("sha256").update(content).digest("hex") !== sha256)
    throw new InvalidError(`The content ${quote(sha256)} of a deploy does not match its SHA-256`);
  return content;
}

/**
 * Throws when a function's files come to more than the limit with each content counted as often
 * as it is listed: what a caller writes out, whatever the deploy carried.
 */
function assertWithinLimit(fn: FunctionFiles, sizeOf: (sha256: string) => number): void {
  let bytes = 0;
  for (const entry of fn.files ?? []) bytes += entry.sha256 === undefined ? 0 : sizeOf(entry.sha256);
  if (bytes > limits.filesMaxBytes) {
    throw new InvalidError(
      `The files of function ${quote(fn.name)} come to more than ${limits.filesMaxBytes} bytes, each listed copy counted`,
    );
  }
}

const listedContents = (fn: FunctionFiles) =>
  (fn.files ?? []).flatMap((entry) => (entry.sha256 === undefined ? [] : [entry.sha256]));

/**
 * The contents a deploy carries (SHA-256 → base64), checked against the functions' `files`: each
 * decodes, matches its name and is used by some function, every file listed has its content, and
 * neither the contents together nor any function's files (each copy counted) come to more than
 * the limit. Throws `InvalidError` otherwise.
 */
export function deployedContents(
  functions: readonly FunctionFiles[],
  files: Record<string, string> | undefined,
): FileContent[] {
  const given = files ?? {};
  if (typeof given !== "object" || given === null || Array.isArray(given))
    throw new InvalidError("`files` of a deploy must be an object of SHA-256: base64 content");
  const used = new Set(functions.flatMap(listedContents));
  const sizes = new Map<string, number>();
  const contents: FileContent[] = [];
  let bytes = 0;
  for (const [sha256, text] of Object.entries(given)) {
    if (!used.has(sha256))
      throw new InvalidError(`The deploy carries content ${quote(sha256)} that no function uses`);
    const content = decodeContent(sha256, text);
    bytes += content.length;
    if (bytes > limits.filesMaxBytes)
      throw new InvalidError(`The files of a deploy are over ${limits.filesMaxBytes} bytes together`);
    sizes.set(sha256, content.length);
    contents.push({ sha256, content });
  }
  const missing = [...used].find((sha256) => !sizes.has(sha256));
  if (missing !== undefined) decodeContent(missing, undefined);
  for (const fn of functions) assertWithinLimit(fn, (sha256) => sizes.get(sha256) ?? 0);
  return contents;
}

/**
 * What a caller writes out for one deployed function, checked again, since it comes from a
 * server: its `files` list, and each content it names (SHA-256 → bytes) against its hash and the
 * limit. Throws `InvalidError` otherwise.
 */
export function functionContents(
  fn: FunctionFiles,
  files: Readonly<Record<string, string>>,
): Map<string, Buffer> {
  const problem = fn.files === undefined ? undefined : deployedFilesProblem(fn.files);
  if (problem) throw new InvalidError(`Deployed function ${quote(fn.name)}: ${problem}`);
  const contents = new Map<string, Buffer>();
  for (const sha256 of listedContents(fn)) {
    if (!contents.has(sha256)) contents.set(sha256, decodeContent(sha256, files[sha256]));
  }
  assertWithinLimit(fn, (sha256) => contents.get(sha256)?.length ?? 0);
  return contents;
}
