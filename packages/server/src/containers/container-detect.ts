import { InternalError } from "../shared/errors.js";
import type { ContainerBackend } from "./container-backend.js";
import { createProcessBackend } from "./container-process.js";
import { createSandboxBackend, sandboxProblem } from "./container-sandbox.js";
import type { ContainerBackendName } from "./container-types.js";

// Probing starts one sandbox (about 10 ms); the answer does not change while we run.
let probed: { problem: string | undefined } | undefined;

function problemHere(): string | undefined {
  probed ??= { problem: sandboxProblem() };
  return probed.problem;
}

let warned = false;

// The process backend isolates the environment only: the function can read the caller's files
// and /proc. Say so once, and why, rather than let it pass unnoticed.
function warnProcessFallback(problem: string): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    `Functions run as plain processes that can read your files, because ${problem}; fix that, or set LOCKBOX_CONTAINER=process to choose this knowingly`,
    "LockboxWarning",
  );
}

/**
 * The backend `chosen` (`LOCKBOX_CONTAINER`), else `sandbox` when it can start here. Otherwise an
 * ordinary user gets `process` with a warning naming the cause; root never runs user code
 * unsandboxed unless asked to, and gets an error naming the cause instead.
 */
export function detectBackend(chosen?: ContainerBackendName): ContainerBackendName {
  if (chosen === undefined) {
    const problem = problemHere();
    if (problem === undefined) return "sandbox";
    if (process.getuid?.() === 0) {
      throw new InternalError(
        `Functions cannot run in a sandbox here: ${problem}. As root, Lockbox runs no function unsandboxed unless told to: fix that, or set LOCKBOX_CONTAINER=process to run functions as plain root processes`,
      );
    }
    warnProcessFallback(problem);
    return "process";
  }
  const problem = chosen === "sandbox" ? problemHere() : undefined;
  if (problem) throw new InternalError(`LOCKBOX_CONTAINER=sandbox, but ${problem}`);
  return chosen;
}

/** The backend of that name. */
export function createBackend(name: ContainerBackendName): ContainerBackend {
  return name === "sandbox" ? createSandboxBackend() : createProcessBackend();
}
