// Bundles the SDK entry of `lockbox` into one file, dist/bundle/index.js, and the container's
// bootstrap and SDK into one file each: those travel with every bundle into its container folder
// (packages/server/src/containers/container-folder.ts), and on Node 20 each module file costs a
// container about 1.5 ms of cold start. What only the caller's side loads, lazily (the client, the runner, esbuild), stays out:
// those dynamic imports point at tsc's output in dist/, which shares the SDK's state through
// global Symbol.for slots (src/sdk/global-slots.ts).
import { dirname, relative, resolve } from "node:path";
import { build } from "esbuild";

const outdir = "packages/lockbox/dist/bundle";

/** `import("./runner.js")` in src/ → `import("../sdk/runner.js")`: tsc's output, loaded when called. */
const lazyImportsStayOut = {
  name: "lazy-imports-stay-out",
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind !== "dynamic-import") return undefined;
      const compiled = resolve(args.resolveDir, args.path).replace(
        "/packages/lockbox/src/",
        "/packages/lockbox/dist/",
      );
      return {
        path: `./${relative(resolve(outdir), dirname(compiled))}/${compiled.split("/").pop()}`,
        external: true,
      };
    });
  },
};

const common = {
  entryPoints: ["packages/lockbox/src/index.ts"],
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  plugins: [lazyImportsStayOut],
  logLevel: "warning",
};

// For callers: one copy of the shared rules in a process, so the error classes are the same
// for `instanceof` in the user's code and in the runtime that throws them.
await build({
  ...common,
  outfile: `${outdir}/index.js`,
  external: ["@lockbox/server", "@lockbox/server/*", "dotenv", "esbuild"],
});

// For containers, as `lockbox` in their folder: the shared rules inlined as well, so a cold
// container loads a single file. Nothing in a container throws Lockbox errors across copies.
await build({
  ...common,
  outfile: `${outdir}/container.js`,
  external: ["@lockbox/server/containers", "@lockbox/server/http", "dotenv", "esbuild"],
});

// The bootstrap a container runs, with the little it imports.
await build({
  ...common,
  plugins: [],
  entryPoints: ["packages/server/src/containers/container-main.ts"],
  outfile: "packages/server/dist/containers/container-runtime.mjs",
});
