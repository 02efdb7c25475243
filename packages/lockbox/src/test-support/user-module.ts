import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./run-cli.js";

/** The `lockbox` package folder (its `dist` must be built: containers import it). */
export const lockboxPackage = fileURLToPath(new URL("../..", import.meta.url));

/**
 * A folder holding user modules that `import "lockbox"`, with `node_modules/lockbox` linked to
 * this package so a script in it runs with plain `node`. `__PROJECT__` in a file is the folder.
 */
export function userProject(files: Record<string, string>): { path: string; remove(): void } {
  const project = tempDir("lockbox-project-");
  mkdirSync(join(project.path, "node_modules"));
  symlinkSync(lockboxPackage, join(project.path, "node_modules", "lockbox"), "dir");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(project.path, name, ".."), { recursive: true });
    writeFileSync(join(project.path, name), text.replaceAll("__PROJECT__", project.path));
  }
  return project;
}

/** Keys whose values differ from `expected`: a failure names keys, never values. */
export function wrongKeys(actual: Record<string, unknown>, expected: Record<string, unknown>): string[] {
  return Object.keys({ ...actual, ...expected }).filter((key) => actual[key] !== expected[key]);
}
