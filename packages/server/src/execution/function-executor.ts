import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { writeContainerFolder } from "../containers/container-folder.js";
import { createContainerPool, idleStopMs } from "../containers/container-pool.js";
import type { ContainerBackendName, ContainerPool, ContainerSpec } from "../containers/container-types.js";
import { createDeployedBundles } from "../containers/deployed-bundles.js";
import { maskText } from "../containers/output-mask.js";
import { type Actor, requireRole } from "../services/actor.js";
import type { DeployedFunction, DeploymentReader } from "../services/app-service.js";
import { auditEntry } from "../services/audit-service.js";
import type { ReadLog } from "../services/read-log.js";
import type { ResolvedSecret, ResolveInput, SecretLookup } from "../services/secret-lookup.js";
import type { SecretService } from "../services/secret-service.js";
import { InternalError, NotFoundError } from "../shared/errors.js";
import { limits, mergeLayers, networkDefault, quote } from "../shared/rules.js";
import type { Store } from "../store/store.js";
import { createOutputCollector, maskedJson } from "./call-answer.js";

export interface FunctionExecutorOptions {
  /** Default: `LOCKBOX_CONTAINER`, then `sandbox` when bubblewrap works here, else `process`. */
  backend?: ContainerBackendName | undefined;
  /** The SDK's container build (`lockbox/dist/bundle/container.js`), which deployed bundles import as `lockbox`. */
  sdkFile?: string | undefined;
}

export interface CallInput {
  environment: string;
  app: string;
  function: string;
  args: unknown[];
}

/** A call's answer: its result and output, both masked. */
export interface CallAnswer {
  result: unknown;
  output: string;
  version: number;
}

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

const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });

/** Reads pinned versions for a container started on the actor's behalf: audited as `container.start`. */
type ReadForContainer = (actor: Actor, input: ResolveInput) => Promise<ResolvedSecret[]>;

/** The pinned reads of a container start, one audited read per environment, in the function's order. */
async function readPinned(
  readForContainer: ReadForContainer,
  actor: Actor,
  pinned: readonly PinnedSecret[],
): Promise<Record<string, string>[]> {
  const environments = [...new Set(pinned.map((secret) => secret.environment))];
  const byRef = new Map<PinnedSecret, Record<string, string>>();
  for (const environment of environments) {
    const group = pinned.filter((secret) => secret.environment === environment);
    const read = await readForContainer(actor, {
      environment,
      secrets: group.map(({ name, requiredKeys, version }) => ({ name, requiredKeys, version })),
    });
    group.forEach((secret, index) => {
      const found = read[index];
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
    apps: DeploymentReader;
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
  const readForContainer: ReadForContainer = async (actor, input) => {
    const { secrets, record } = await deps.lookup.readForServerContainer(deps.store, actor, input);
    await deps.readLog.write(record);
    return secrets;
  };
  let root: Promise<string> | undefined;
  let pool: ContainerPool | undefined;
  let closed = false;
  // The values each warm key's containers got, to mask results with; kept as long as such a
  // container may be warm, like the container's own environment.
  const masks = new Map<string, { values: string[]; usedAt: number }>();

  const folder = () => {
    root ??= mkdtemp(join(tmpdir(), "lockbox-server-")).then(async (dir) => {
      await chmod(dir, 0o755); // a sandboxed container runs as another user and must read it
      return dir;
    });
    return root;
  };
  const bundles = createDeployedBundles({
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
    if (closed) throw new InternalError("The server is shutting down");
    pool ??= createContainerPool({
      backend: options.backend,
      output: { stdout: discard(), stderr: discard() },
    });
    return pool;
  };
  const forgetStale = (now: number) => {
    for (const [key, mask] of masks) if (now - mask.usedAt > 2 * idleStopMs) masks.delete(key);
  };

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
    /** Calls the newest deploy's function with `args` in a new or warm container on this server. */
    async call(actor: Actor, input: CallInput): Promise<CallAnswer> {
      assertMayCall(actor);
      const deployment = await deps.apps.get(actor, { environment: input.environment, name: input.app });
      const fn = deployment.functions.find((candidate) => candidate.name === input.function);
      if (!fn)
        throw new NotFoundError(
          `Function ${quote(input.function)} not found in app ${quote(input.app)} (environment ${quote(input.environment)})`,
        );
      const pinned = await pin(actor, input.environment, fn);
      await deps.readLog.write({
        entries: [
          auditEntry(actor, {
            action: "function.call",
            environment: input.environment,
            target: `${input.app}/${fn.name}`,
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
        const named = await readPinned(readForContainer, actor, pinned);
        const layers = [...named, fn.env ?? {}];
        const values = [...new Set(layers.flatMap((layer) => Object.values(layer)))];
        masks.set(key, { values, usedAt: Date.now() });
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
      const output = createOutputCollector();
      let result: unknown;
      try {
        result = await containers().call(key, start, input.args, {
          onOutput: (_stream, chunk) => output.add(chunk),
        });
      } finally {
        output.close();
      }
      const now = Date.now();
      forgetStale(now);
      const mask = masks.get(key);
      // Fail closed: a result is never answered without the values to mask it with.
      if (!mask) throw new InternalError(`The container of function ${quote(fn.name)} lost its masks`);
      mask.usedAt = now;
      return {
        result: maskedJson(result, mask.values, fn.name),
        output: maskText(output.close(), mask.values),
        version: deployment.version,
      };
    },

    /** Stops every container and removes the code written out for them. */
    async close(): Promise<void> {
      closed = true;
      masks.clear();
      await pool?.close();
      if (root) await rm(await root, { recursive: true, force: true });
    },
  };
}

export type FunctionExecutor = ReturnType<typeof createFunctionExecutor>;
