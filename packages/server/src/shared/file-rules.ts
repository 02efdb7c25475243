import { limits, quote } from "./rules.js";

/**
 * Where a container keeps its own things (sandbox-mounts.ts): a function's `files` may be put
 * neither at one of them, nor inside, nor above.
 */
const reservedContainerPaths = [
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/etc",
  "/dev",
  "/proc",
  "/sys",
  "/tmp",
  "/lockbox",
] as const;

const containerPathMaxLength = 1024;

/** True when `inner` is `outer` or lies inside it; both normalised absolute paths. */
export function containerPathWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer === "/" ? "/" : `${outer}/`);
}

/** Why `path` cannot be where a function sees one of its `files`, or undefined when it can. */
function containerPathProblem(path: unknown): string | undefined {
  if (typeof path !== "string") return "A `files` path in the container must be a string";
  const shown = quote(path);
  const rule = "an absolute path such as /data/input.txt, without '.', '..', '//' or a trailing '/'";
  if (path.length > containerPathMaxLength)
    return `The \`files\` path ${shown} is longer than ${containerPathMaxLength} characters`;
  if ([...path].some((char) => char < " " || char === "\x7f"))
    return `The \`files\` path ${shown} contains a control character`;
  const segments = path.split("/");
  const normal =
    segments[0] === "" &&
    segments.length > 1 &&
    segments.slice(1).every((segment) => segment !== "" && segment !== "." && segment !== "..");
  if (!normal) return `The \`files\` path ${shown} must be ${rule}`;
  const clash = reservedContainerPaths.find(
    (reserved) => containerPathWithin(path, reserved) || containerPathWithin(reserved, path),
  );
  if (clash) {
    return `The \`files\` path ${shown} would cover the container's own ${clash}: put files outside ${reservedContainerPaths.join(", ")} (for example under /data or /app)`;
  }
  return undefined;
}

/**
 * Why `files` (container path → local path, as `app.function` takes it) is not allowed, or
 * undefined when it is. Local paths are read later, where the app runs or deploys.
 */
export function filesOptionProblem(files: unknown): string | undefined {
  if (typeof files !== "object" || files === null || Array.isArray(files))
    return '`files` must be an object of "/container/path": "./local/path" pairs';
  const paths = Object.keys(files);
  if (paths.length > limits.filesMaxCount)
    return `\`files\` names ${paths.length} paths; at most ${limits.filesMaxCount}`;
  for (const [path, local] of Object.entries(files)) {
    const problem = containerPathProblem(path);
    if (problem) return problem;
    if (typeof local !== "string" || local.length === 0 || local.includes("\0"))
      return `The local path for ${quote(path)} in \`files\` must be a non-empty string`;
  }
  return containerPathsOverlap(paths);
}

/** Why these container paths cannot all be given (one inside another), or undefined. */
function containerPathsOverlap(paths: readonly string[]): string | undefined {
  for (const outer of paths) {
    const inner = paths.find((path) => path !== outer && containerPathWithin(path, outer));
    if (inner !== undefined)
      return `The \`files\` paths ${quote(outer)} and ${quote(inner)} overlap: give the folder once, or paths side by side`;
  }
  return undefined;
}

/** One file or folder of a deployed function's `files`: a file names its content by SHA-256. */
export interface DeployedFileEntry {
  path: string;
  kind: "file" | "folder";
  sha256?: string | undefined;
  executable?: boolean | undefined;
}

const sha256Pattern = /^[0-9a-f]{64}$/;

function entryProblem(entry: DeployedFileEntry): string | undefined {
  if (typeof entry !== "object" || entry === null) return "each of its `files` must be an object";
  const problem = containerPathProblem(entry.path);
  if (problem) return problem;
  if (entry.kind === "file" ? !sha256Pattern.test(String(entry.sha256)) : entry.kind !== "folder")
    return `the \`files\` entry ${quote(entry.path)} must be a folder, or a file with the SHA-256 of its content`;
  if (entry.executable !== undefined && typeof entry.executable !== "boolean")
    return `\`executable\` of ${quote(entry.path)} must be true or false`;
  return undefined;
}

/**
 * Why a deployed function's `files` list is not allowed, or undefined: valid paths, each once, at
 * most the limit, the paths given (those whose folder is not listed) side by side.
 */
export function deployedFilesProblem(entries: unknown): string | undefined {
  if (!Array.isArray(entries)) return "its `files` must be a list";
  if (entries.length > limits.filesMaxCount)
    return `it takes ${entries.length} files and folders; at most ${limits.filesMaxCount}`;
  const paths = new Set<string>();
  for (const entry of entries as DeployedFileEntry[]) {
    const problem = entryProblem(entry);
    if (problem) return problem;
    if (paths.has(entry.path)) return `its \`files\` lists ${quote(entry.path)} twice`;
    paths.add(entry.path);
  }
  const folders = new Set(
    (entries as DeployedFileEntry[]).filter((entry) => entry.kind === "folder").map((entry) => entry.path),
  );
  const roots = [...paths].filter((path) => !folders.has(path.slice(0, path.lastIndexOf("/"))));
  return containerPathsOverlap(roots);
}
