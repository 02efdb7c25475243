import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeContainerFolder } from "../containers/container-folder.js";
import type { ContainerPool } from "../containers/container-types.js";
import { createDeployedBundles, type DeployedBundles } from "../containers/deployed-bundles.js";
import { deployedContents } from "../containers/deployed-files.js";
import { type Actor, requireRole } from "../services/actor.js";
import { auditEntry } from "../services/audit-record.js";
import { assertDeployedFunctions, assertSecretsInScope } from "../services/deployed-function.js";
import { findEnvironment } from "../services/environment-lookup.js";
import { InvalidError, NotFoundError, ResourceExhaustedError } from "../shared/errors.js";
import type { DeployedFileEntry } from "../shared/file-rules.js";
import { limits, type NetworkMode, quote, valuesProblem } from "../shared/rules.js";
import type { Store } from "../store/store.js";
import type { LayerRef } from "./call-layers.js";
import { type CallDeps, type CallOptions, type PreparedCall, prepareCall } from "./prepared-call.js";

/** A function of an ephemeral run: its place in the bundle, its layers in merge order, its sandbox. */
interface RunFunction {
  index: number;
  name: string;
  /** The app that defines it, when it has a name. */
  app?: string | undefined;
  layers: LayerRef[];
  timeoutMs?: number | undefined;
  network?: NetworkMode | undefined;
  tmpMb?: number | undefined;
  files?: DeployedFileEntry[] | undefined;
}

/** What starts a run: the caller's bundle, its functions' files (SHA-256 → base64) and layers. */
export interface RunInput {
  environment: string;
  bundle: string;
  files?: Record<string, string> | undefined;
  functions: RunFunction[];
  /** Mask values in output and results (default true); a developer's own run may turn it off, as `--no-mask` does. */
  mask?: boolean | undefined;
}

/** A run started: its id, and what ends it. */
export interface StartedRun {
  id: string;
  /** Stops its containers at once, then forgets its code and values; calls in flight fail. */
  end(): Promise<void>;
  /** Ends it once its calls in flight are done (the server is shutting down, and takes no new ones). */
  drain(): Promise<void>;
}

interface LiveRun {
  id: string;
  owner: string;
  workspace: string;
  environment: string;
  bundle: string;
  bundlePath: string;
  dir: string;
  files: DeployedBundles;
  contents: Record<string, string>;
  functions: Map<number, RunFunction>;
  mask: boolean;
  cancel: AbortController;
  calls: Set<Promise<unknown>>;
}

interface EphemeralRunsDeps extends CallDeps {
  store: Pick<Store, "directory">;
  /** The pool if one was made: a run that ends has containers to stop only then. */
  existingPool(): ContainerPool | undefined;
  /** This server's folder for code written out for containers. */
  folder(): Promise<string>;
  sdkFile?: string | undefined;
}

// A run belongs to the token that started it (a dashboard session to its own token).
const ownerOf = (actor: Actor) => JSON.stringify([actor.workspaceId, actor.tokenId, actor.name]);

// What audit entries call a run: the start of its id, enough to tell runs apart, too little to guess it.
const runTag = (id: string) => id.slice(0, "run_".length + 8);

const notFound = () => new NotFoundError("No such run: it has ended, or it was started with another token");

function assertRunnable(actor: Actor, input: RunInput): void {
  if (Buffer.byteLength(input.bundle) > limits.bundleMaxBytes)
    throw new InvalidError(`The bundle of the run is over ${limits.bundleMaxBytes} bytes`);
  const asDeployed = input.functions.map(({ layers, ...fn }) => ({
    ...fn,
    secrets: layers.flatMap((layer) =>
      layer.kind === "named" ? [{ ...layer, requiredKeys: [...(layer.requiredKeys ?? [])] }] : [],
    ),
  }));
  assertDeployedFunctions(asDeployed, "run");
  assertSecretsInScope(actor, input.environment, asDeployed, "run");
  const indexes = new Set(input.functions.map((fn) => fn.index));
  if (indexes.size !== input.functions.length)
    throw new InvalidError("Two functions of the run share an index");
  for (const fn of input.functions) {
    for (const layer of fn.layers) {
      if (layer.kind !== "inline") continue;
      const problem = valuesProblem(layer.values);
      if (problem) throw new InvalidError(`Cannot run function ${quote(fn.name)}: ${problem}`);
    }
  }
}

/**
 * Ephemeral runs: a caller's bundle and inline values, held in this server's memory (its code in
 * a folder of its own) for as long as the run lives, its functions called in this server's
 * containers. Nothing of a run reaches the database but its audit entries.
 */
export function createEphemeralRuns(deps: EphemeralRunsDeps) {
  const runs = new Map<string, LiveRun>();
  // Runs of each workspace, live or starting.
  const live = new Map<string, number>();
  const count = (workspace: string, by: number) => {
    const next = (live.get(workspace) ?? 0) + by;
    if (next === 0) live.delete(workspace);
    else live.set(workspace, next);
  };

  async function end(run: LiveRun): Promise<void> {
    if (!runs.delete(run.id)) return;
    count(run.workspace, -1);
    run.cancel.abort();
    await Promise.allSettled(run.calls);
    run.functions.clear(); // the inline values go with them
    await deps.existingPool()?.retire(run.bundlePath);
    await rm(run.dir, { recursive: true, force: true });
  }

  async function write(input: RunInput): Promise<Pick<LiveRun, "dir" | "bundlePath" | "files">> {
    const dir = await mkdtemp(join(await deps.folder(), "run-"));
    try {
      await chmod(dir, 0o755); // a sandboxed container runs as another user and must read it
      const written = {
        dir,
        bundlePath: await writeContainerFolder(join(dir, "container"), {
          code: input.bundle,
          sdkFile: deps.sdkFile,
        }),
      };
      return { ...written, files: createDeployedBundles({ writeBundle: async () => written }) };
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  return {
    /** Checks, audits (`run.start`) and starts a run for `actor`; only its `end` ends it. */
    async start(actor: Actor, input: RunInput): Promise<StartedRun> {
      requireRole(actor, "developer", "start ephemeral runs (they carry the caller's own code and values)");
      await findEnvironment(deps.store.directory, actor, input.environment);
      assertRunnable(actor, input);
      // Checked before anything is written: contents that decode and match the files named.
      const contents = Object.fromEntries(
        deployedContents(input.functions, input.files).map((file) => [
          file.sha256,
          file.content.toString("base64"),
        ]),
      );
      if ((live.get(actor.workspaceId) ?? 0) >= limits.liveRunsMax)
        throw new ResourceExhaustedError(
          `The workspace has ${limits.liveRunsMax} live runs on this server, the most it may: end one, or deploy the app and call it`,
          30, // runs last minutes or more: asking again at once would not help
        );
      count(actor.workspaceId, 1);
      let run: LiveRun;
      try {
        const id = `run_${randomBytes(24).toString("base64url")}`;
        const functions = input.functions.length;
        await deps.readLog.write({
          entries: [
            auditEntry(actor, {
              action: "run.start",
              environment: input.environment,
              target: `${runTag(id)} (${functions} function${functions === 1 ? "" : "s"})`,
            }),
          ],
          used: [],
        });
        run = {
          id,
          owner: ownerOf(actor),
          workspace: actor.workspaceId,
          environment: input.environment,
          bundle: input.bundle,
          contents,
          functions: new Map(input.functions.map((fn) => [fn.index, fn])),
          mask: input.mask ?? true,
          cancel: new AbortController(),
          calls: new Set(),
          ...(await write(input)),
        };
      } catch (error) {
        count(actor.workspaceId, -1);
        throw error;
      }
      runs.set(run.id, run);
      const drain = async () => {
        await Promise.allSettled(run.calls);
        await end(run);
      };
      return { id: run.id, end: () => end(run), drain };
    },

    /** Checks and audits a call of the run's function `index`, its named layers pinned now; only the run's owner may. */
    async prepareCall(actor: Actor, ref: { run: string; index: number }): Promise<PreparedCall> {
      const run = runs.get(ref.run);
      if (!run || run.owner !== ownerOf(actor)) throw notFound();
      const fn = run.functions.get(ref.index);
      if (!fn) throw new NotFoundError(`The run has no function at index ${ref.index}`);
      const call = await prepareCall(deps, {
        actor,
        environment: run.environment,
        // Its identity token names the run, and the app it claims (its run's tag when unnamed).
        run: runTag(run.id),
        app: fn.app ?? runTag(run.id),
        target: `${runTag(run.id)}/${fn.name}`,
        lineage: ["run", run.id, fn.index],
        codeVersion: [],
        fn,
        layers: fn.layers,
        code: () => run.files.get(run.bundle, fn, run.contents),
        mask: run.mask,
      });
      return {
        run(args, options: CallOptions = {}) {
          if (!runs.has(run.id)) return Promise.reject(notFound());
          const signal = AbortSignal.any([run.cancel.signal, ...(options.signal ? [options.signal] : [])]);
          const running = call.run(args, { ...options, signal });
          run.calls.add(running);
          const forget = () => run.calls.delete(running);
          void running.then(forget, forget);
          return running;
        },
      };
    },

    /** Ends every run: the server is closing. */
    async close(): Promise<void> {
      await Promise.all([...runs.values()].map(end));
    },
  };
}
