// Packs `lockbox` into one tarball that installs with everything it needs: the SDK and CLI, with
// `@lockbox/server` (which is not on the registry) bundled inside it, the server's built dashboard
// and container runtime included. Run after `npm run build`:
//   npm run pack [-- --out DIR]      (default: dist/ of this repository)
// npm bundles a dependency only from the package's own node_modules, which a workspace leaves
// empty, and never installs the dependencies of a bundled one: so the package is staged in a
// temp folder with the server's files under its node_modules, and the server's dependencies
// become its own.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";

const repo = resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { out: { type: "string", default: join(repo, "dist") } } });
const out = resolve(values.out);

const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));

/** `npm pack` of a package (its `files`, as npm would publish them), unpacked into `into`. */
function packInto(args, cwd, into, destination) {
  const packed = JSON.parse(
    execFileSync("npm", ["pack", ...args, "--json", "--ignore-scripts", "--pack-destination", destination], {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  const tarball = join(destination, packed[0].filename);
  if (into) {
    mkdirSync(into, { recursive: true });
    execFileSync("tar", ["-xzf", tarball, "-C", into, "--strip-components=1"]);
    rmSync(tarball);
  }
  return tarball;
}

/** Adds `more` to `dependencies`; a package both name with different ranges is an error. */
function mergeDependencies(dependencies, more, from) {
  for (const [name, range] of Object.entries(more)) {
    if (typeof range !== "string") continue; // a nested override says nothing of what to install
    if (name in dependencies && dependencies[name] !== range) {
      throw new Error(
        `lockbox wants ${name}@${dependencies[name]} and ${from} ${name}@${range}: make them agree`,
      );
    }
    dependencies[name] = range;
  }
}

function stagedManifest(lockbox, server) {
  const dependencies = { ...lockbox.dependencies };
  mergeDependencies(dependencies, server.dependencies ?? {}, "@lockbox/server");
  // The versions the repository holds with `overrides` so that every dependency runs on Node 20: overrides
  // apply in the repository alone, so the package asks for them itself, and npm then gives the
  // server's dependencies that same copy.
  mergeDependencies(dependencies, readJson(join(repo, "package.json")).overrides ?? {}, "the overrides");
  const sorted = Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b)));
  return { ...lockbox, dependencies: sorted, bundleDependencies: ["@lockbox/server"] };
}

// Without these, the package would install and then fail: each comes from `npm run build`.
function assertBuilt(lockboxDir, serverDir, lockbox) {
  const bins = typeof lockbox.bin === "string" ? [lockbox.bin] : Object.values(lockbox.bin ?? {});
  const needed = [
    ...bins.map((bin) => join(lockboxDir, bin)),
    join(lockboxDir, "dist/bundle/index.js"),
    join(lockboxDir, "dist/bundle/container.js"),
    join(lockboxDir, "dist/index.d.ts"),
    join(serverDir, "dist/index.js"),
    join(serverDir, "dist/containers/container-runtime.mjs"),
    join(serverDir, "dist/dashboard/index.html"),
  ];
  const missing = needed.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    const names = missing.map((file) => relative(join(lockboxDir, ".."), file)).join(", ");
    throw new Error(`Not built: ${names} missing from the packed files. Run npm run build first.`);
  }
}

const stage = mkdtempSync(join(tmpdir(), "lockbox-pack-"));
try {
  const lockboxDir = join(stage, "lockbox");
  const serverDir = join(lockboxDir, "node_modules", "@lockbox", "server");
  packInto(["-w", "lockbox"], repo, lockboxDir, stage);
  packInto(["-w", "@lockbox/server"], repo, serverDir, stage);
  const lockbox = readJson(join(lockboxDir, "package.json"));
  assertBuilt(lockboxDir, serverDir, lockbox);
  const manifest = stagedManifest(lockbox, readJson(join(serverDir, "package.json")));
  writeFileSync(join(lockboxDir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  mkdirSync(out, { recursive: true });
  const tarball = packInto([], lockboxDir, undefined, out);
  const kB = Math.round(statSync(tarball).size / 1000);
  console.log(`Packed lockbox, with @lockbox/server and its dashboard inside: ${tarball} (${kB} kB)`);
  console.log(`Install it in your project with: npm install ${tarball}`);
} catch (error) {
  console.error(`npm run pack: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  rmSync(stage, { recursive: true, force: true });
}
