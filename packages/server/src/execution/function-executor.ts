import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { defaultMaxContainers, defaultMaxQueuedCalls } from "../containers/container-capacity.js";
import { writeContainerFolder } from "../containers/container-folder.js";
import { createContainerPool, idleStopMs } from "../containers/container-pool.js";
import type {
  ContainerBackendName,
  ContainerPool,
  ContainerPoolEvents,
  ContainerPoolStats,
} from "../containers/container-types.js";
import { createDeployedBundles } from "../containers/deployed-bundles.js";
import { type Actor, requireRole } from "../services/actor.js";
import type { AppService, DeployedFunction, Deployment, DeploymentReader } from "../services/app-service.js";
import type { ReadLog } from "../services/read-log.js";
import type { SecretLookup } from "../services/secret-lookup.js";
import type { SecretService } from "../services/secret-service.js";
import { NotFoundError, UnavailableError } from "../shared/errors.js";
import { quote } from "../shared/rules.js";
import type { Store } from "../store/store.js";
import type { LayerRef, ReadForTarget } from "./call-layers.js";
import { createEphemeralRuns, type RunInput, type StartedRun } from "./ephemeral-runs.js";
import type { IdentityMinter } from "./function-identity.js";
import { type PreparedCall, prepareCall } from "./prepared-call.js";

export type { CallOptions, PreparedCall } from "./prepared-call.js";

export interface FunctionExecutorOptions {
  /** Callers pass `LOCKBOX_CONTAINER`; default: `sandbox` when bubblewrap works here, else `process`. */
  backend?: ContainerBackendName | undefined;
  /** The SDK's container build (`lockbox/dist/bundle/container.js`), which deployed bundles import as `lockbox`. */
  sdkFile?: string | undefined;
  /** Containers live at most, starting, busy or idle (default: `defaultMaxContainers()`, from cores and memory). */
  maxContainers?: number | undefined;
  /** Calls that may wait for a container; one workspace's at most half (default: 4 × `maxContainers`). */
  maxQueuedCalls?: number | undefined;
  /** Told of each call's container and outcome (the server's metrics). */
  events?: ContainerPoolEvents | undefined;
}

/** A deployed function to call: the newest deploy of `app` in `environment`. */
export interface CallTarget {
  environment: string;
  app: string;
  function: string;
}

/**
 * Who may call a deployed function: an invoker or more. The server reads the secrets on the
 * caller's behalf, and the caller sees only masked output and results.
 */
function assertMayCall(actor: Actor): void {
  requireRole(actor, "invoker", "call deployed functions");
}

/** Deploys kept loaded (code and files) for the next call of their app. */
const deploymentsKept = 32;

const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });

const shuttingDown = () =>
  new UnavailableError("The server is shutting down: call again, on another instance or once it is back");

/** A deployed function's layers: its named secrets in order, then its `env`. */
const deployedLayers = (fn: DeployedFunction): LayerRef[] => [
  ...fn.secrets.map((secret) => ({ kind: "named" as const, ...secret })),
  ...(fn.env ? [{ kind: "inline" as const, label: "env", values: fn.env }] : []),
];

/**
 * Runs deployed functions in containers owned by this server: it loads the newest deploy, writes
 * its code out once, reads the function's secrets itself (audited as reads on the caller's
 * behalf) and hands back masked output and results, never a value.
 */
export function createFunctionExecutor(
  deps: {
    apps: Pick<AppService, "head">;
    deployments: DeploymentReader;
    secrets: Pick<SecretService, "get">;
    store: Pick<Store, "directory" | "secrets">;
    lookup: SecretLookup;
    readLog: ReadLog;
    /** Gives each container its `LOCKBOX_IDENTITY_TOKEN`; absent: none. */
    identity?: IdentityMinter | undefined;
  },
  options: FunctionExecutorOptions = {},
) {
  // One read of the pinned versions per container start, its audit entries committed before
  // the values go anywhere (each names the caller, the secret and version read). The caller
  // need not be a developer: the values go into this server's container, never to the caller.
  const readForContainer: ReadForTarget = async (actor, input, target) => {
    const { secrets, record } = await deps.lookup.readForServerContainer(deps.store, actor, input, target);
    await deps.readLog.write(record);
    return secrets;
  };
  const maxContainers = options.maxContainers ?? defaultMaxContainers();
  const capacity = {
    maxContainers,
    maxQueuedCalls: options.maxQueuedCalls ?? defaultMaxQueuedCalls(maxContainers),
  };
  let root: Promise<string> | undefined;
  let pool: ContainerPool | undefined;
  let closed = false;

  const folder = () => {
    root ??= mkdtemp(join(tmpdir(), "lockbox-server-")).then(async (dir) => {
      await chmod(dir, 0o755); // a sandboxed container runs as another user and must read it
      return dir;
    });
    return root;
  };
  const bundles = createDeployedBundles({
    // Warm containers of an older deploy may still run from it: they are stopped after
    // `idleStopMs` idle, and the folder after twice that.
    removeBundle: (dir) =>
      void setTimeout(() => void rm(dir, { recursive: true, force: true }), 2 * idleStopMs).unref(),
    async writeBundle(code) {
      const dir = await mkdtemp(join(await folder(), "bundle-"));
      await chmod(dir, 0o755);
      const bundlePath = await writeContainerFolder(join(dir, "container"), {
        code,
        sdkFile: options.sdkFile,
      });
      return { dir, bundlePath };
    },
  });
  const containers = () => {
    if (closed) throw shuttingDown();
    pool ??= createContainerPool({
      backend: options.backend,
      output: { stdout: discard(), stderr: discard() },
      events: options.events,
      ...capacity,
    });
    return pool;
  };

  const callDeps = {
    secrets: deps.secrets,
    readLog: deps.readLog,
    readForContainer,
    identity: deps.identity,
    containers,
  };
  const runs = createEphemeralRuns({
    ...callDeps,
    store: deps.store,
    existingPool: () => pool,
    folder,
    sdkFile: options.sdkFile,
  });

  // The newest deploy of each app called, loaded again only when a newer one is made: a call
  // reads its version, not its code and files.
  const deployments = new Map<string, Deployment>();
  async function newest(actor: Actor, input: CallTarget): Promise<Deployment> {
    const ref = { environment: input.environment, name: input.app };
    const head = await deps.apps.head(actor, ref);
    const appKey = JSON.stringify([actor.workspaceId, input.environment, input.app]);
    const known = deployments.get(appKey);
    if (known?.version === head.version && known.deployedAt === head.deployedAt) {
      deployments.delete(appKey);
      deployments.set(appKey, known);
      return known;
    }
    const deployment = await deps.deployments.get(actor, ref);
    // What a call meanwhile kept is let go of once: the newest load wins.
    const replaced = deployments.get(appKey);
    deployments.delete(appKey);
    if (replaced) bundles.release(replaced.bundle);
    bundles.hold(deployment.bundle);
    deployments.set(appKey, deployment);
    const [oldestKey, oldest] = deployments.entries().next().value ?? [];
    if (deployments.size > deploymentsKept && oldestKey !== undefined && oldest) {
      deployments.delete(oldestKey);
      bundles.release(oldest.bundle);
    }
    return deployment;
  }

  return {
    /**
     * Checks and audits a call of the newest deploy's function, to run in a new or warm container
     * on this server: whatever makes it fail before it runs (a missing app, function or secret, a
     * refusal) throws here.
     */
    async prepare(actor: Actor, input: CallTarget): Promise<PreparedCall> {
      assertMayCall(actor);
      const deployment = await newest(actor, input);
      const fn = deployment.functions.find((candidate) => candidate.name === input.function);
      if (!fn)
        throw new NotFoundError(
          `Function ${quote(input.function)} not found in app ${quote(input.app)} (environment ${quote(input.environment)})`,
        );
      return prepareCall(callDeps, {
        actor,
        environment: input.environment,
        app: input.app,
        target: `${input.app}/${fn.name}`,
        version: deployment.version,
        lineage: [input.environment, input.app, fn.name],
        codeVersion: [deployment.version, deployment.deployedAt],
        fn,
        layers: deployedLayers(fn),
        code: () => bundles.get(deployment.bundle, fn, deployment.files),
        mask: true,
      });
    },

    /** Starts an ephemeral run for a developer: its code and inline values live in this server's memory until it ends. */
    startRun: (actor: Actor, input: RunInput): Promise<StartedRun> => {
      if (closed) throw shuttingDown();
      return runs.start(actor, input);
    },

    /** Checks and audits a call of a function of the actor's own run, as `prepare` does a deployed one's. */
    prepareRunCall: (actor: Actor, ref: { run: string; index: number }): Promise<PreparedCall> =>
      runs.prepareCall(actor, ref),

    /** The limits its containers run under. */
    capacity: () => ({ ...capacity }),

    /** Live containers and calls waiting for one. */
    stats: (): ContainerPoolStats => pool?.stats() ?? { containers: 0, queued: 0 },

    /** Stops every container and removes the code written out for them. */
    async close(): Promise<void> {
      closed = true;
      deployments.clear();
      await runs.close();
      await pool?.close();
      if (root) await rm(await root, { recursive: true, force: true });
    },
  };
}

export type FunctionExecutor = ReturnType<typeof createFunctionExecutor>;
