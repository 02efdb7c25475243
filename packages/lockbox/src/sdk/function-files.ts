import { copyFile, readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type FileMount, writeFileTree } from "@lockbox/server/containers";
import { InvalidError, limits, quote } from "@lockbox/server/shared";

/** A file entry read from this machine. */
export type LocalEntry =
  | { path: string; kind: "folder" }
  | { path: string; kind: "file"; executable: boolean; source: string };

interface Walk {
  where: string;
  entries: LocalEntry[];
  bytes: number;
}

function tooMuch(walk: Walk): string | undefined {
  if (walk.entries.length > limits.filesMaxCount)
    return `more than ${limits.filesMaxCount.toLocaleString("en-US")} files and folders`;
  if (walk.bytes > limits.filesMaxBytes)
    return `more than ${limits.filesMaxBytes.toLocaleString("en-US")} bytes (${limits.filesMaxBytes / 1024 / 1024} MiB)`;
  return undefined;
}

async function add(walk: Walk, path: string, source: string, given: string): Promise<void> {
  const info = await stat(source).catch((error: NodeJS.ErrnoException) => {
    const why =
      error.code === "ENOENT" ? "does not exist" : `cannot be read (${error.code ?? error.message})`;
    throw new InvalidError(`${walk.where} takes ${quote(given)} (${source}), which ${why}`);
  });
  if (info.isDirectory()) {
    walk.entries.push({ path, kind: "folder" });
  } else if (info.isFile()) {
    walk.entries.push({ path, kind: "file", executable: (info.mode & 0o111) !== 0, source });
    walk.bytes += info.size;
  } else {
    throw new InvalidError(
      `${walk.where} takes ${quote(given)} (${source}), which is neither a file nor a folder`,
    );
  }
  const over = tooMuch(walk);
  if (over) throw new InvalidError(`${walk.where} takes ${over}: give fewer or smaller files`);
  if (!info.isDirectory()) return;
  // Sorted, so the copy and a deploy's list are the same on every run. Links are followed: the
  // count and size limits end a loop.
  for (const name of (await readdir(source)).sort())
    await add(walk, `${path}/${name}`, join(source, name), given);
}

/**
 * Every file and folder that `files` (container path → local path) names, local paths resolved from
 * `baseDir`. Throws `InvalidError`, naming `where` and the path, for a missing or unreadable path,
 * something neither file nor folder, or more than the limits allow.
 * @example await listLocalFiles({ "/data/a.txt": "./a.txt" }, "/home/me/app", "Function 'f'")
 */
export async function listLocalFiles(
  files: Readonly<Record<string, string>>,
  baseDir: string,
  where: string,
): Promise<LocalEntry[]> {
  const walk: Walk = { where, entries: [], bytes: 0 };
  for (const [path, local] of Object.entries(files)) await add(walk, path, resolve(baseDir, local), local);
  return walk.entries;
}

/**
 * Copies what `files` names into `dir` (a folder of the run's bundle) and returns its mounts: the
 * copy, not the original, is what the container sees, so it is a snapshot taken when the run starts.
 * @example const mounts = await stageLocalFiles(definition.files, dirname(entryFile), join(bundle.dir, "files", "0"), "Function 'f'");
 */
export async function stageLocalFiles(
  files: Readonly<Record<string, string>>,
  baseDir: string,
  dir: string,
  where: string,
): Promise<FileMount[]> {
  const entries = await listLocalFiles(files, baseDir, where);
  return writeFileTree(dir, entries, (entry, target) =>
    entry.kind === "file" ? copyFile(entry.source, target) : Promise.resolve(),
  );
}
