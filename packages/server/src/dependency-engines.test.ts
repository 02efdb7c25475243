import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import semver from "semver";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));

interface Installed {
  path: string;
  engines: unknown;
}

/** Every package under `nodeModules`, scoped ones and nested node_modules included. */
function installedPackages(nodeModules: string): Installed[] {
  if (!existsSync(nodeModules)) return [];
  const folders = readdirSync(nodeModules)
    .filter((name) => !name.startsWith("."))
    .flatMap((name) =>
      name.startsWith("@")
        ? readdirSync(join(nodeModules, name)).map((scoped) => join(name, scoped))
        : [name],
    )
    .map((name) => join(nodeModules, name));
  return folders.flatMap((folder) => {
    const manifest = join(folder, "package.json");
    if (!existsSync(manifest)) return [];
    const { engines } = JSON.parse(readFileSync(manifest, "utf8")) as { engines?: unknown };
    // The workspaces are symbolic links to packages/*: their own node_modules is walked from there.
    const nested = lstatSync(folder).isSymbolicLink() ? [] : installedPackages(join(folder, "node_modules"));
    return [{ path: folder.slice(root.length), engines }, ...nested];
  });
}

const workspaceFolders = () =>
  readdirSync(join(root, "packages")).map((name) => join(root, "packages", name, "node_modules"));

describe("installed dependencies", () => {
  it("all accept the running Node in engines.node, as npm's EBADENGINE check does", () => {
    const installed = [join(root, "node_modules"), ...workspaceFolders()].flatMap(installedPackages);
    expect(installed.length).toBeGreaterThan(100);
    expect(installed.map((entry) => entry.path)).toContain("node_modules/semver");
    const refused = installed.flatMap(({ path, engines }) => {
      const range = (engines as { node?: unknown } | undefined)?.node;
      if (typeof range !== "string") return [];
      // npm checks with prereleases included, and an unparsable range fails.
      return semver.satisfies(process.version, range, { includePrerelease: true })
        ? []
        : [`${path}: ${range}`];
    });
    expect(refused, `these declare engines.node that Node ${process.version} does not satisfy`).toEqual([]);
  });
});
