import { chmod, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { InternalError } from "../shared/errors.js";
import { quote } from "../shared/rules.js";
import type { FileMount } from "./container-types.js";

/** A file or folder of a function's `files`, at its path in the container; folders come before what they hold. */
interface FileEntry {
  path: string;
  kind: "file" | "folder";
  executable?: boolean | undefined;
}

/** The paths given to `files`: every entry whose folder is not itself an entry. */
function fileRoots(entries: readonly FileEntry[]): string[] {
  const folders = new Set(entries.filter((entry) => entry.kind === "folder").map((entry) => entry.path));
  return entries
    .map((entry) => entry.path)
    .filter((path) => !folders.has(path.slice(0, path.lastIndexOf("/"))));
}

/**
 * Writes `entries` under `dir` as the container will see them (`dir` + container path), readable by
 * the sandbox's user whatever the umask, and returns the mounts that show them at their paths.
 * `write` puts one file's content at `target`.
 */
export async function writeFileTree<E extends FileEntry>(
  dir: string,
  entries: readonly E[],
  write: (entry: E, target: string) => Promise<void>,
): Promise<FileMount[]> {
  const made = new Set<string>();
  const folder = async (path: string) => {
    if (made.has(path)) return;
    await mkdir(path, { recursive: true });
    for (let at = path; at.length >= dir.length && !made.has(at); at = dirname(at)) {
      made.add(at);
      await chmod(at, 0o755);
    }
  };
  for (const entry of entries) {
    const target = join(dir, entry.path);
    // The rules allow only normalised absolute paths; this holds even if a list skipped them.
    if (!target.startsWith(`${dir}/`))
      throw new InternalError(`A \`files\` path ${quote(entry.path)} leaves its folder`);
    if (entry.kind === "folder") {
      await folder(target);
      continue;
    }
    await folder(dirname(target));
    await write(entry, target);
    await chmod(target, entry.executable ? 0o755 : 0o644);
  }
  return fileRoots(entries).map((containerPath) => ({ containerPath, hostPath: join(dir, containerPath) }));
}
