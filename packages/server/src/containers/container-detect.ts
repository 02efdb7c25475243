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

let warned = false;

// The process backend isolates the environment only: the function can read the caller's files
// and /proc. Say so once, rather than let a missing bubblewrap pass unnoticed.
function warnProcessFallback(): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    "bubblewrap (bwrap) is not available, so functions run as plain processes that can read your files; " +
      "install bubblewrap, or set LOCKBOX_CONTAINER=process to choose this knowingly",
    "LockboxWarning",
  );
}

/** `LOCKBOX_CONTAINER` when set, else `sandbox` when bubblewrap works here, else `process` (with a warning). */
export function detectBackend(env: NodeJS.ProcessEnv = process.env): ContainerBackendName {
  const forced = env.LOCKBOX_CONTAINER;
  if (forced === undefined || forced === "") {
    if (sandboxAvailable()) return "sandbox";
    warnProcessFallback();
    return "process";
  }
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
export function createBackend(
  name: ContainerBackendName,
  hiddenPaths: readonly string[] = [],
): ContainerBackend {
  return name === "sandbox" ? createSandboxBackend(hiddenPaths) : createProcessBackend();
}
