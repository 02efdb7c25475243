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
  ContainerPoolStats,
  ContainerSpec,
  CallOptions as PoolCallOptions,
} from "../containers/container-types.js";
import { createDeployedBundles } from "../containers/deployed-bundles.js";
import type { Payload } from "../containers/payload.js";
import { type Actor, requireRole } from "../services/actor.js";
import type { AppService, DeployedFunction, Deployment, DeploymentReader } from "../services/app-service.js";
import { auditEntry } from "../services/audit-service.js";
import type { ReadLog } from "../services/read-log.js";
import type { ResolvedSecret, ResolveInput, SecretLookup } from "../services/secret-lookup.js";
import type { SecretService } from "../services/secret-service.js";
import { InternalError, NotFoundError, UnavailableError } from "../shared/errors.js";
import { limits, mergeLayers, networkDefault, quote } from "../shared/rules.js";
import type { Store } from "../store/store.js";

export interface FunctionExecutorOptions {
  /** Default: `LOCKBOX_CONTAINER`, then `sandbox` when bubblewrap works here, else `process`. */
  backend?: ContainerBackendName | undefined;
  /** The SDK's container build (`lockbox/dist/bundle/container.js`), which deployed bundles import as `lockbox`. */
  sdkFile?: string | undefined;
  /** Containers live at most, starting, busy or idle (default: `defaultMaxContainers()`, from cores and memory). */
  maxContainers?: number | undefined;
  /** Calls that may wait for a container; one workspace's at most half (default: 4 × `maxContainers`). */
  maxQueuedCalls?: number | undefined;
}

/** A deployed function to call: the newest deploy of `app` in `environment`. */
export interface CallTarget {
  environment: string;
  app: string;
  function: string;
}

/** A call checked, audited and ready to run on the deploy `version`. */
export interface PreparedCall {
  version: number;
  /**
   * Runs it with `args`, passed to the container as they are; the result comes back in the same
   * encoding, masked in the container.
   */
  run(args: Payload, options?: CallOptions): Promise<Payload>;
}

/** How a call is made: where its masked output goes as it is written, and what cancels it. */
export type CallOptions = Pick<PoolCallOptions, "onOutput" | "signal">;

/** A named secret of a function, where it is read and the version current at the call. */
interface PinnedSecret {
  name: string;
  environment: string;
  requiredKeys: string[];
  version: number;
}

/**
 * Who may call a deployed function: an invoker or more. The server reads the secrets on the
 * caller's behalf, and the caller sees only masked output and results.
 */
export function assertMayCall(actor: Actor): void {
  requireRole(actor, "invoker", "call deployed functions");
}

/** Deploys kept loaded (code and files) for the next call of their app. */
const deploymentsKept = 32;

const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });

/** Reads pinned versions for a container of `target` started on the actor's behalf: audited as `container.start`. */
type ReadForContainer = (actor: Actor, input: ResolveInput, target: string) => Promise<ResolvedSecret[]>;

/** The pinned reads of a container start, one audited read per environment, in the function's order. */
async function readPinned(
  read: (input: ResolveInput) => Promise<ResolvedSecret[]>,
  pinned: readonly PinnedSecret[],
): Promise<Record<string, string>[]> {
  const environments = [...new Set(pinned.map((secret) => secret.environment))];
  const byRef = new Map<PinnedSecret, Record<string, string>>();
  for (const environment of environments) {
    const group = pinned.filter((secret) => secret.environment === environment);
    const secrets = await read({
      environment,
      secrets: group.map(({ name, requiredKeys, version }) => ({ name, requiredKeys, version })),
    });
    group.forEach((secret, index) => {
      const found = secrets[index];
      if (found?.name !== secret.name) throw new InternalError(`Secret ${quote(secret.name)} was not read`);
      byRef.set(secret, found.values);
    });
  }
  return pinned.map((secret) => byRef.get(secret) ?? {});
}

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
  },
  options: FunctionExecutorOptions = {},
) {
  // One read of the pinned versions per container start, its audit entries committed before
  // the values go anywhere (each names the caller, the secret and version read). The caller
  // need not be a developer: the values go into this server's container, never to the caller.
  const readForContainer: ReadForContainer = async (actor, input, target) => {
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
    if (closed)
      throw new UnavailableError(
        "The server is shutting down: call again, on another instance or once it is back",
      );
    pool ??= createContainerPool({
      backend: options.backend,
      output: { stdout: discard(), stderr: discard() },
      ...capacity,
    });
    return pool;
  };

  // The newest deploy of the apps called last, loaded again only when a newer one is made: a
  // call reads its version, not its code and files. Map order is use order: the first is the
  // least recently used.
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

  async function pin(actor: Actor, environment: string, fn: DeployedFunction): Promise<PinnedSecret[]> {
    const pinned: PinnedSecret[] = [];
    for (const secret of fn.secrets) {
      const where = secret.environment ?? environment;
      const requiredKeys = [...(secret.requiredKeys ?? [])];
      const info = await deps.secrets.get(actor, { environment: where, name: secret.name, requiredKeys });
      pinned.push({ name: secret.name, environment: where, requiredKeys, version: info.version });
    }
    return pinned;
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
      const pinned = await pin(actor, input.environment, fn);
      const target = `${input.app}/${fn.name}`;
      await deps.readLog.write({
        entries: [
          auditEntry(actor, {
            action: "function.call",
            environment: input.environment,
            target,
            version: deployment.version,
          }),
        ],
        used: [],
      });
      const { bundlePath, files } = await bundles.get(deployment.bundle, fn, deployment.files);
      // Same deploy, function and secret versions: the only containers a call may reuse.
      const key = JSON.stringify([
        actor.workspaceId,
        input.environment,
        input.app,
        deployment.version,
        deployment.deployedAt,
        fn.name,
        pinned.map(({ environment, name, version }) => [environment, name, version]),
      ]);
      const start = async (): Promise<ContainerSpec> => {
        const named = await readPinned((read) => readForContainer(actor, read, target), pinned);
        const layers = [...named, fn.env ?? {}];
        const values = [...new Set(layers.flatMap((layer) => Object.values(layer)))];
        return {
          bundlePath,
          functionIndex: fn.index,
          functionName: fn.name,
          env: mergeLayers(layers),
          sources: [...pinned.map((secret) => secret.name), ...(fn.env ? ["env"] : [])],
          maskValues: values,
          timeoutMs: fn.timeoutMs ?? limits.timeoutDefaultMs,
          network: fn.network ?? networkDefault,
          tmpMb: fn.tmpMb ?? limits.tmpMbDefault,
          files,
        };
      };
      return {
        version: deployment.version,
        run: (args, options = {}) =>
          containers().callPayload(key, start, args, {
            ...options,
            maskResult: true,
            workspace: actor.workspaceId,
          }),
      };
    },

    /** The limits its containers run under. */
    capacity: () => ({ ...capacity }),

    /** Live containers and calls waiting for one. */
    stats: (): ContainerPoolStats => pool?.stats() ?? { containers: 0, queued: 0 },

    /** Stops every container and removes the code written out for them. */
    async close(): Promise<void> {
      closed = true;
      deployments.clear();
      await pool?.close();
      if (root) await rm(await root, { recursive: true, force: true });
    },
  };
}

export type FunctionExecutor = ReturnType<typeof createFunctionExecutor>;
