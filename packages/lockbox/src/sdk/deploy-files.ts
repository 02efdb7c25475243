import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { DeployedFileEntry } from "@lockbox/server/shared";
import { InvalidError, limits, quote } from "@lockbox/server/shared";
import type { AppDefinition } from "./definitions.js";
import { listLocalFiles } from "./function-files.js";

/**
 * Reads the `files` of an app's deployed functions from this machine (relative paths from
 * `baseDir`) into their entries, in place, and returns every content once (SHA-256 → base64), as
 * a deploy (or an ephemeral run on a server) sends them. More than the limit in all is an `InvalidError` naming the app.
 * @example const files = await addDeployedFiles(app, functions, base, dirname(entryFile));
 */
export async function addDeployedFiles(
  app: AppDefinition,
  functions: { index: number; name: string; files?: DeployedFileEntry[] | undefined }[],
  base: number,
  baseDir: string,
): Promise<Record<string, string>> {
  const contents: Record<string, string> = {};
  let bytes = 0;
  for (const fn of functions) {
    const files = app.functions.find((definition) => definition.index - base === fn.index)?.files;
    if (files === undefined) continue;
    const entries: DeployedFileEntry[] = [];
    for (const entry of await listLocalFiles(files, baseDir, `Function ${quote(fn.name)}`)) {
      if (entry.kind === "folder") {
        entries.push({ path: entry.path, kind: "folder" });
        continue;
      }
      const content = await readFile(entry.source);
      const sha256 = createHash("sha256").update(content).digest("hex");
      if (!(sha256 in contents)) {
        bytes += content.length;
        // Checked as it grows: the files of all functions are never held in memory past the limit.
        if (bytes > limits.filesMaxBytes) {
          throw new InvalidError(
            `The functions of app ${quote(app.name ?? "")} take more than ${limits.filesMaxBytes.toLocaleString("en-US")} bytes (32 MiB) of files together, the most a deploy carries`,
          );
        }
        contents[sha256] = content.toString("base64");
      }
      entries.push({
        path: entry.path,
        kind: "file",
        sha256,
        ...(entry.executable ? { executable: true } : {}),
      });
    }
    fn.files = entries;
  }
  return contents;
}
