import { InvalidError } from "../shared/errors.js";
import { quote } from "../shared/rules.js";
import type { ContainerBackend } from "./container-backend.js";
import { createProcessBackend } from "./container-process.js";
import { createSandboxBackend, sandboxWorks } from "./container-sandbox.js";
import type { ContainerBackendName } from "./container-types.js";

const backendNames: readonly ContainerBackendName[] = ["sandbox", "process"];

// Probing spawns bubblewrap once (about 10 ms); the answer does not change while we run.
let sandboxProbe: boolean | undefined;

function sandboxAvailable(): boolean {
  sandboxProbe ??= sandboxWorks();
  return sandboxProbe;
}

/** `LOCKBOX_CONTAINER` when set, else `sandbox` when bubblewrap works here, else `process`. */
export function detectBackend(env: NodeJS.ProcessEnv = process.env): ContainerBackendName {
  const forced = env.LOCKBOX_CONTAINER;
  if (forced === undefined || forced === "") return sandboxAvailable() ? "sandbox" : "process";
  if (!backendNames.includes(forced as ContainerBackendName)) {
    throw new InvalidError(`Invalid LOCKBOX_CONTAINER ${quote(forced)}: use 'sandbox' or 'process'`);
  }
  if (forced === "sandbox" && !sandboxAvailable()) {
    throw new InvalidError(
      "LOCKBOX_CONTAINER=sandbox, but bubblewrap (bwrap) is not installed or cannot create namespaces here",
    );
  }
  return forced as ContainerBackendName;
}

/** The backend of that name. */
export function createBackend(name: ContainerBackendName): ContainerBackend {
  return name === "sandbox" ? createSandboxBackend() : createProcessBackend();
}
