import { deployedContents } from "../containers/deployed-files.js";
import { InvalidError, NotFoundError } from "../shared/errors.js";
import { assertAppName, limits, pageSize, quote } from "../shared/rules.js";
import type { Store, StoreTables } from "../store/store.js";
import { type Actor, hasRole, requireRole } from "./actor.js";
import { recordAudit } from "./audit-record.js";
import {
  assertDeployedFunctions,
  assertSecretsInScope,
  type DeployedFunction,
  storedFunctions,
} from "./deployed-function.js";
import { findEnvironment } from "./environment-lookup.js";
import { newId } from "./ids.js";

export type { DeployedFunction, DeployedSecret } from "./deployed-function.js";

export interface DeploymentInfo {
  name: string;
  environment: string;
  version: number;
  functions: DeployedFunction[];
  deployedAt: string;
  deployedBy: string;
}

export interface DeployInput {
  environment: string;
  name: string;
  bundle: string;
  functions: DeployedFunction[];
  /** The contents of the functions' `files`: SHA-256 → base64. */
  files?: Record<string, string> | undefined;
}

/** A deploy as `get` answers it: its code and files only for those who may run it themselves. */
export interface DeploymentView extends DeploymentInfo {
  bundle?: string | undefined;
  /** The contents of the functions' `files`: SHA-256 → base64. */
  files?: Record<string, string> | undefined;
}

/** A deploy with its code, as this server's own containers take it. */
export interface Deployment extends DeploymentInfo {
  bundle: string;
  files: Record<string, string>;
}

/**
 * Functions as `actor` may see them: their `env` values (configuration in the clear, yet masked
 * in a call's answer like secrets) only for those who may run them themselves.
 */
const shownFunctions = (actor: Actor, functions: DeployedFunction[]): DeployedFunction[] =>
  hasRole(actor, "developer") ? functions : functions.map(({ env: _, ...fn }) => fn);

const notDeployed = (ref: { environment: string; name: string }) =>
  new NotFoundError(`App ${quote(ref.name)} is not deployed in environment ${quote(ref.environment)}`);

/** The newest deploy of an app in the actor's workspace, with its code and files. */
async function readDeployment(
  store: Pick<Store, "directory" | "deployments">,
  actor: Actor,
  ref: { environment: string; name: string },
): Promise<Deployment> {
  assertAppName(ref.name);
  const environment = await findEnvironment(store.directory, actor, ref.environment);
  const row = await store.deployments.latest(environment.id, ref.name);
  if (!row) throw notDeployed(ref);
  const files = await store.deployments.files(row.id);
  return {
    name: row.appName,
    environment: ref.environment,
    version: row.version,
    functions: JSON.parse(row.functions) as DeployedFunction[],
    deployedAt: row.createdAt,
    deployedBy: row.createdBy,
    bundle: row.bundle,
    files: Object.fromEntries(
      files.map((file) => [file.sha256, Buffer.from(file.content).toString("base64")]),
    ),
  };
}

/**
 * Deploys with their code, for the server's own containers: an invoker's call runs the code it
 * may not download. Not a service of `Services`, which clients bind.
 */
export function createDeploymentReader(deps: { store: Pick<Store, "directory" | "deployments"> }) {
  return {
    get: (actor: Actor, ref: { environment: string; name: string }) => readDeployment(deps.store, actor, ref),
  };
}

export type DeploymentReader = ReturnType<typeof createDeploymentReader>;

function assertDeployable(input: DeployInput): void {
  assertAppName(input.name);
  if (Buffer.byteLength(input.bundle) > limits.bundleMaxBytes) {
    throw new InvalidError(`The bundle of app ${quote(input.name)} is over ${limits.bundleMaxBytes} bytes`);
  }
  if (!Array.isArray(input.functions)) throw new InvalidError("A deploy needs the list of its functions");
  assertDeployedFunctions(input.functions);
}

/**
 * Refuses a deploy naming a secret that does not exist where it is named (its environment, or
 * the deploy's): a deploy is a developer's promise that its functions' secrets can be read there.
 */
async function assertSecretsExist(
  tables: Pick<StoreTables, "directory" | "secrets">,
  actor: Actor,
  environment: string,
  functions: readonly DeployedFunction[],
): Promise<void> {
  const named = functions.flatMap((fn) =>
    fn.secrets.map((secret) => ({
      fn: fn.name,
      name: secret.name,
      where: secret.environment ?? environment,
    })),
  );
  for (const where of new Set(named.map((secret) => secret.where))) {
    const wanted = named.filter((secret) => secret.where === where);
    const found = await tables.directory.findEnvironment(actor.workspaceId, where);
    const heads = found
      ? await tables.secrets.findMany(found.id, [...new Set(wanted.map((s) => s.name))])
      : [];
    const missing = wanted.find((secret) => !heads.some((head) => head.name === secret.name));
    if (missing) {
      const lacks = found ? "which has no such secret" : "which does not exist";
      throw new NotFoundError(
        `Cannot deploy function ${quote(missing.fn)}: it reads secret ${quote(missing.name)} in environment ${quote(where)}, ${lacks}`,
      );
    }
  }
}

/**
 * Deployed apps: their code and, per function, what a caller needs to start its container
 * (secret names and keys, never values: those are read when a container starts).
 */
export function createAppService(deps: {
  store: Pick<Store, "directory" | "deployments" | "secrets" | "transaction">;
}) {
  const { store } = deps;
  return {
    async deploy(actor: Actor, input: DeployInput): Promise<DeploymentInfo> {
      requireRole(actor, "developer", "deploy apps");
      assertDeployable(input);
      assertSecretsInScope(actor, input.environment, input.functions);
      const contents = deployedContents(input.functions, input.files);
      return store.transaction(async (tx) => {
        const environment = await findEnvironment(tx.directory, actor, input.environment);
        await assertSecretsExist(tx, actor, input.environment, input.functions);
        const version = ((await tx.deployments.latest(environment.id, input.name))?.version ?? 0) + 1;
        const createdAt = new Date().toISOString();
        const functions = storedFunctions(input.functions);
        const id = newId("dp");
        await tx.deployments.insert({
          id,
          workspaceId: actor.workspaceId,
          environmentId: environment.id,
          appName: input.name,
          version,
          bundle: input.bundle,
          functions: JSON.stringify(functions),
          createdAt,
          createdBy: actor.name,
        });
        await tx.deployments.insertFiles(contents.map((file) => ({ deploymentId: id, ...file })));
        await recordAudit(tx.audit, actor, { action: "app.deploy", environment: input.environment, version });
        const { environment: env, name } = input;
        return { name, environment: env, version, functions, deployedAt: createdAt, deployedBy: actor.name };
      });
    },

    /** The version of an app's newest deploy and when it was made: whether one loaded before is still the newest. */
    async head(actor: Actor, ref: { environment: string; name: string }) {
      assertAppName(ref.name);
      const environment = await findEnvironment(store.directory, actor, ref.environment);
      const row = await store.deployments.latestHead(environment.id, ref.name);
      if (!row) throw notDeployed(ref);
      return { version: row.version, deployedAt: row.createdAt };
    },

    /**
     * The newest deploy of an app; its code and files only for a developer or an admin, who may
     * run it here: viewers and invokers (who call it on the server, as Modal's callers do) get
     * what it is, not what it does.
     */
    async get(actor: Actor, ref: { environment: string; name: string }): Promise<DeploymentView> {
      const { bundle, files, ...info } = await readDeployment(store, actor, ref);
      return hasRole(actor, "developer")
        ? { ...info, bundle, files }
        : { ...info, functions: shownFunctions(actor, info.functions) };
    },

    /** Each app's newest deploy, in name order, a page after the app `after`. */
    async list(
      actor: Actor,
      options: { environment: string; limit?: number | undefined; after?: string | undefined },
    ): Promise<DeploymentInfo[]> {
      const environment = await findEnvironment(store.directory, actor, options.environment);
      const page = { limit: pageSize(options.limit), after: options.after };
      const rows = await store.deployments.listLatest(environment.id, page);
      return rows.map((row) => ({
        name: row.appName,
        environment: options.environment,
        version: row.version,
        functions: shownFunctions(actor, JSON.parse(row.functions) as DeployedFunction[]),
        deployedAt: row.createdAt,
        deployedBy: row.createdBy,
      }));
    },
  };
}

export type AppService = ReturnType<typeof createAppService>;
