import { NotFoundError, quote } from "@lockbox/server/shared";
import { AppRun } from "./app-run.js";
import { materializeBundle } from "./bundle.js";
import { importBundle } from "./bundle-import.js";
import { clientApi } from "./client.js";
import { type CallTarget, functionDefinition, type RunContext } from "./internal.js";

export interface DeployedRef {
  appName: string;
  functionName: string;
  environment: string;
}

/**
 * A deployed function, ready to call in `run`: the newest deploy's bundle is written to a folder
 * of its own (removed when the run stops) and imported here only to read the function's
 * secrets; the values are read when a container starts, as for any run.
 */
export async function loadDeployedTarget(run: RunContext, ref: DeployedRef): Promise<CallTarget> {
  const api = await clientApi();
  const deployment = await api.apps.get({ environment: ref.environment, name: ref.appName });
  const deployed = deployment.functions.find((fn) => fn.name === ref.functionName);
  if (!deployed) {
    throw new NotFoundError(
      `Function ${quote(ref.functionName)} not found in app ${quote(ref.appName)} (environment ${quote(ref.environment)})`,
    );
  }
  const bundle = await materializeBundle(deployment.bundle);
  run.onStop(bundle.dispose);
  const { module } = await importBundle(bundle.bundlePath, { inspect: true });
  const definition = functionDefinition(module[deployed.name]);
  if (!definition) {
    throw new NotFoundError(`App ${quote(ref.appName)} does not export function ${quote(deployed.name)}`);
  }
  return {
    bundlePath: bundle.bundlePath,
    functionIndex: deployed.index,
    functionName: deployed.name,
    layers: definition.layers,
    timeoutMs: definition.timeoutMs,
    environment: ref.environment,
  };
}

/** A run of its own for calls made outside any app run; stopped by the caller. */
export function temporaryRun(environment: string): AppRun {
  return new AppRun({ api: clientApi, environment, entryFile: "", bundlePath: "", base: 0 });
}
