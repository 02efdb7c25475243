import { InvalidError, PermissionDeniedError } from "../shared/errors.js";
import { type DeployedFileEntry, deployedFilesProblem } from "../shared/file-rules.js";
import {
  environmentNameProblem,
  keyProblem,
  type NetworkMode,
  networkProblem,
  quote,
  secretNameProblem,
  timeoutProblem,
  tmpMbProblem,
  valuesProblem,
} from "../shared/rules.js";
import type { Actor } from "./actor.js";
import { assertEnvironmentAccess, scopeLimit } from "./environment-lookup.js";

/** A named secret a deployed function reads when its container starts: a reference, never values. */
export interface DeployedSecret {
  name: string;
  /** Default: the environment the app is deployed to. */
  environment?: string | undefined;
  requiredKeys?: string[] | undefined;
}

/**
 * A function of a deployed app: its export name, its place in the bundle's registry, and what its
 * container needs (the app's secrets then its own, in merge order; its `env`; its timeout).
 */
export interface DeployedFunction {
  name: string;
  index: number;
  secrets: DeployedSecret[];
  env?: Record<string, string> | undefined;
  timeoutMs?: number | undefined;
  network?: NetworkMode | undefined;
  tmpMb?: number | undefined;
  /** Its `files`: every file and folder at its container path, files naming their content by SHA-256. */
  files?: DeployedFileEntry[] | undefined;
}

const functionNamePattern = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;

function secretProblem(secret: DeployedSecret): string | undefined {
  if (typeof secret !== "object" || secret === null) return "a secret must be a name";
  const keys = secret.requiredKeys ?? [];
  if (!Array.isArray(keys)) return `the required keys of secret ${quote(String(secret.name))} must be a list`;
  return (
    secretNameProblem(secret.name) ??
    (secret.environment === undefined ? undefined : environmentNameProblem(secret.environment)) ??
    keys.map((key) => (typeof key === "string" ? keyProblem(key) : "Key must be a string")).find(Boolean)
  );
}

function functionProblem(fn: DeployedFunction): string | undefined {
  if (!Array.isArray(fn.secrets)) return "its secrets must be a list of named secrets";
  const envProblem =
    fn.env === undefined
      ? undefined
      : typeof fn.env === "object" && fn.env !== null && !Array.isArray(fn.env)
        ? valuesProblem(fn.env)
        : "`env` must be an object of string values";
  return (
    fn.secrets.map(secretProblem).find(Boolean) ??
    envProblem ??
    (fn.timeoutMs === undefined ? undefined : timeoutProblem(fn.timeoutMs)) ??
    (fn.network === undefined ? undefined : networkProblem(fn.network)) ??
    (fn.tmpMb === undefined ? undefined : tmpMbProblem(fn.tmpMb)) ??
    (fn.files === undefined ? undefined : deployedFilesProblem(fn.files))
  );
}

/**
 * Throws `InvalidError` unless every function is an exported name with valid secret references,
 * `env` and timeout; messages say what was tried (`deploy`, or `run` for an ephemeral run's).
 */
export function assertDeployedFunctions(functions: readonly DeployedFunction[], action = "deploy"): void {
  for (const fn of functions) {
    if (
      typeof fn.name !== "string" ||
      !functionNamePattern.test(fn.name) ||
      !Number.isInteger(fn.index) ||
      fn.index < 0
    )
      throw new InvalidError(
        `Invalid function ${quote(String(fn.name))}: export a function under a JavaScript name`,
      );
    const problem = functionProblem(fn);
    if (problem) throw new InvalidError(`Cannot ${action} function ${quote(fn.name)}: ${problem}`);
  }
}

/**
 * Throws `PermissionDeniedError` unless the actor may act in `environment` and in every environment
 * the functions read a secret from (default: `environment`): a caller's container would read them.
 */
export function assertSecretsInScope(
  actor: Actor,
  environment: string,
  functions: readonly DeployedFunction[],
  action = "deploy",
): void {
  assertEnvironmentAccess(actor, environment);
  for (const fn of functions) {
    for (const secret of fn.secrets) {
      const where = secret.environment ?? environment;
      const limit = scopeLimit(actor, where);
      if (limit) {
        throw new PermissionDeniedError(
          `Cannot ${action} function ${quote(fn.name)}: it reads secret ${quote(secret.name)} in environment ${quote(where)}, and this token is limited to environment ${quote(limit)}`,
        );
      }
    }
  }
}

const storedEntry = ({ path, kind, sha256, executable }: DeployedFileEntry): DeployedFileEntry =>
  kind === "folder" ? { path, kind } : { path, kind, sha256, ...(executable ? { executable } : {}) };

/** Only the fields a deploy stores, so nothing else sent along (a value, say) is kept. */
export function storedFunctions(functions: readonly DeployedFunction[]): DeployedFunction[] {
  return functions.map(({ name, index, secrets, env, timeoutMs, network, tmpMb, files }) => ({
    name,
    index,
    secrets: secrets.map(({ name: secret, environment, requiredKeys }) => ({
      name: secret,
      ...(environment === undefined ? {} : { environment }),
      ...(requiredKeys === undefined ? {} : { requiredKeys: [...requiredKeys] }),
    })),
    ...(env === undefined ? {} : { env: { ...env } }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(network === undefined ? {} : { network }),
    ...(tmpMb === undefined ? {} : { tmpMb }),
    ...(files === undefined ? {} : { files: files.map(storedEntry) }),
  }));
}
