import { deployedContents } from "../containers/deployed-files.js";
import { InvalidError, NotFoundError } from "../shared/errors.js";
import { assertAppName, limits, quote } from "../shared/rules.js";
import type { Store } from "../store/store.js";
import { type Actor, requireRole } from "./actor.js";
import { recordAudit } from "./audit-service.js";
import {
  assertDeployedFunctions,
  assertSecretsInScope,
  type DeployedFunction,
  storedFunctions,
} from "./deployed-function.js";
import { findEnvironment } from "./environment-service.js";
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

function assertDeployable(input: DeployInput): void {
  assertAppName(input.name);
  if (Buffer.byteLength(input.bundle) > limits.bundleMaxBytes) {
    throw new InvalidError(`The bundle of app ${quote(input.name)} is over ${limits.bundleMaxBytes} bytes`);
  }
  if (!Array.isArray(input.functions)) throw new InvalidError("A deploy needs the list of its functions");
  assertDeployedFunctions(input.functions);
}

const notDeployed = (ref: { environment: string; name: string }) =>
  new NotFoundError(`App ${quote(ref.name)} is not deployed in environment ${quote(ref.environment)}`);

/**
 * Deployed apps: their code and, per function, what a caller needs to start its container
 * (secret names and keys, never values: those are read when a container starts).
 */
export function createAppService(deps: { store: Pick<Store, "directory" | "deployments" | "transaction"> }) {
  const { store } = deps;
  return {
    async deploy(actor: Actor, input: DeployInput): Promise<DeploymentInfo> {
      requireRole(actor, "developer", "deploy apps");
      assertDeployable(input);
      assertSecretsInScope(actor, input.environment, input.functions);
      const contents = deployedContents(input.functions, input.files);
      return store.transaction(async (tx) => {
        const environment = await findEnvironment(tx.directory, actor, input.environment);
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

    /** The newest deploy of an app, with its code and its functions' files (SHA-256 → base64). */
    async get(actor: Actor, ref: { environment: string; name: string }) {
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
    },

    async list(actor: Actor, options: { environment: string }): Promise<DeploymentInfo[]> {
      const environment = await findEnvironment(store.directory, actor, options.environment);
      const rows = await store.deployments.listLatest(environment.id);
      return rows.map((row) => ({
        name: row.appName,
        environment: options.environment,
        version: row.version,
        functions: JSON.parse(row.functions) as DeployedFunction[],
        deployedAt: row.createdAt,
        deployedBy: row.createdBy,
      }));
    },
  };
}

export type AppService = ReturnType<typeof createAppService>;
