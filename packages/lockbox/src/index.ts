// The SDK entry. A container imports it with the user's bundle, so it loads light: the client,
// the store, the container runtime and esbuild are imported on the caller's side, when needed.

/**
 * Lockbox error classes; each has a stable `code`.
 * @example try { await f.remote(); } catch (error) { if (error instanceof NotFoundError) console.error(error.message); }
 */
export {
  AlreadyExistsError,
  AuthenticationError,
  ConflictError,
  FunctionTimeoutError,
  InvalidError,
  LockboxError,
  NotFoundError,
  PermissionDeniedError,
  RemoteError,
  ResourceExhaustedError,
  UnavailableError,
} from "@lockbox/server/shared";
/**
 * An app of functions that run in containers with their secrets.
 * @example const app = new App("example");
 */
export { App } from "./sdk/app.js";
/**
 * The handle `app.function` returns: `.remote()`, `.local()`, `.map()`.
 * @example const f: FunctionHandle<[string], number> = app.function(async (text: string) => text.length);
 */
export type { FunctionHandle } from "./sdk/function-handle.js";
/**
 * `true` everywhere except inside a function's container.
 * @example if (isLocal()) console.log("on the caller's machine");
 */
export { isLocal } from "./sdk/is-local.js";
/**
 * A function of a deployed app, called by name.
 * @example await RemoteFunction.fromName("example", "someFunction").remote();
 */
export { RemoteFunction } from "./sdk/remote-function.js";
/**
 * A named or ephemeral dictionary of environment variables for a function's container.
 * @example Secret.fromName("secret-keys")
 */
export { Secret } from "./sdk/secret.js";
