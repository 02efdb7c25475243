import type { LockboxApi } from "@lockbox/server";
import {
  InvalidError,
  limits,
  NotFoundError,
  networkDefault,
  PermissionDeniedError,
  quote,
} from "@lockbox/server/shared";
import { AppRun } from "./app-run.js";
import { clientApi } from "./client.js";
import { type CallTarget, defaultTimeoutMs, type SecretSource } from "./definitions.js";
import type { DeployedFunction } from "./deploy-functions.js";
import { deployedBundle } from "./deployed-bundle.js";
import { envSource } from "./inline-values.js";

export interface DeployedRef {
  appName: string;
  functionName: string;
  environment: string;
}

/** A deployed function ready to call, and the deploy it came from. */
export interface DeployedTarget {
  version: number;
  deployedAt: string;
  target: CallTarget;
}

type Api = Pick<LockboxApi, "apps">;

/** Layers from what the deploy stored: named secrets in order, then `env`. */
function layersOf(fn: DeployedFunction, ref: DeployedRef): SecretSource[] {
  if (!Array.isArray(fn.secrets)) {
    throw new InvalidError(
      `Function ${quote(ref.functionName)} of app ${quote(ref.appName)} was deployed without its secrets by an older Lockbox: deploy the app again`,
    );
  }
  const named = fn.secrets.map(
    ({ name, environment, requiredKeys }): SecretSource => ({
      kind: "named",
      name,
      environment,
      requiredKeys: [...(requiredKeys ?? [])],
    }),
  );
  return fn.env === undefined ? named : [...named, envSource(fn.env)];
}

/** The newest deploy's function, its bundle written out for the containers (never imported here). */
async function load(api: Api, ref: DeployedRef): Promise<DeployedTarget> {
  const deployment = await api.apps.get({ environment: ref.environment, name: ref.appName });
  const fn = deployment.functions.find((candidate) => candidate.name === ref.functionName);
  if (!fn) {
    throw new NotFoundError(
      `Function ${quote(ref.functionName)} not found in app ${quote(ref.appName)} (environment ${quote(ref.environment)})`,
    );
  }
  // Only developers and admins get a deploy's code, to run it here.
  if (deployment.bundle === undefined)
    throw new PermissionDeniedError(
      `App ${quote(ref.appName)}'s code is for developers and admins: this token cannot run its functions here`,
    );
  const layers = layersOf(fn, ref);
  const { bundlePath, files } = await deployedBundle(deployment.bundle, fn, deployment.files);
  const { version, deployedAt } = deployment;
  const target: CallTarget = {
    bundlePath,
    functionIndex: fn.index,
    functionName: fn.name,
    layers,
    timeoutMs: fn.timeoutMs ?? defaultTimeoutMs,
    sandbox: { network: fn.network ?? networkDefault, tmpMb: fn.tmpMb ?? limits.tmpMbDefault },
    files,
    environment: ref.environment,
  };
  return { version, deployedAt, target };
}

/**
 * The call target of a deployed function: `known` again while it is still the newest deploy
 * (checked with its head, which carries no code), else the newest deploy, fetched once.
 */
export async function deployedTarget(
  api: Api,
  ref: DeployedRef,
  known: DeployedTarget | undefined,
): Promise<DeployedTarget> {
  if (known) {
    const newest = await api.apps.head({ environment: ref.environment, name: ref.appName });
    // deployedAt too: the same version number on another server is another deploy.
    if (newest.version === known.version && newest.deployedAt === known.deployedAt) return known;
  }
  return load(api, ref);
}

/** A run of its own for calls made outside any app run; stopped by the caller. */
export function temporaryRun(environment: string): AppRun {
  return new AppRun({ api: clientApi, environment, entryFile: "", bundlePath: "", base: 0 });
}
