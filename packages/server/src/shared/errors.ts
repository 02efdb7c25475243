/** Stable error codes shared by the server, the HTTP API, the SDK and the CLI. */
export const errorCodes = [
  "not_found",
  "already_exists",
  "invalid",
  "conflict",
  "unauthenticated",
  "permission_denied",
  "rate_limited",
  "integrity",
  "function_timeout",
  "remote_error",
  "resource_exhausted",
  "unavailable",
  "internal",
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** Base class of every Lockbox error; `code` is stable across versions. */
export class LockboxError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A named object (secret, environment, token, workspace) does not exist, or a required key is missing. */
export class NotFoundError extends LockboxError {
  constructor(message: string) {
    super("not_found", message);
  }
}

/** An object with that name already exists. */
export class AlreadyExistsError extends LockboxError {
  constructor(message: string) {
    super("already_exists", message);
  }
}

/** Input broke a rule: a name, key, value or option that is not allowed. */
export class InvalidError extends LockboxError {
  constructor(message: string) {
    super("invalid", message);
  }
}

/** The object changed since it was read (a stale `ifVersion`). */
export class ConflictError extends LockboxError {
  constructor(message: string) {
    super("conflict", message);
  }
}

/** No credential, or one that is unknown, expired or revoked. */
export class AuthenticationError extends LockboxError {
  constructor(message: string) {
    super("unauthenticated", message);
  }
}

/** The credential is valid but its role or scope does not allow the action. */
export class PermissionDeniedError extends LockboxError {
  constructor(message: string) {
    super("permission_denied", message);
  }
}

/** Too many attempts (failed sign-ins) from one address: wait and try again. */
export class RateLimitedError extends LockboxError {
  constructor(message: string) {
    super("rate_limited", message);
  }
}

/** Stored data failed its integrity check: tampered, moved, or encrypted under another key. */
export class IntegrityError extends LockboxError {
  constructor(message: string) {
    super("integrity", message);
  }
}

/** A function ran longer than its `timeoutMs`. */
export class FunctionTimeoutError extends LockboxError {
  constructor(message: string) {
    super("function_timeout", message);
  }
}

/** A function threw inside its container; carries the remote error's name, message and stack. */
export class RemoteError extends LockboxError {
  constructor(
    message: string,
    readonly remoteName = "Error",
    readonly remoteStack?: string,
  ) {
    super("remote_error", message);
  }
}

/**
 * The server runs as many containers as it may and its queue of waiting calls is full: try again
 * after `retryAfterSeconds` (the HTTP answer is 429 with a `Retry-After` header).
 */
export class ResourceExhaustedError extends LockboxError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super("resource_exhausted", message);
  }
}

/** The server is shutting down and takes no new work: try again (another instance takes it). */
export class UnavailableError extends LockboxError {
  constructor(message: string) {
    super("unavailable", message);
  }
}

/** An unexpected failure inside Lockbox. */
export class InternalError extends LockboxError {
  constructor(message: string) {
    super("internal", message);
  }
}

const classByCode: Record<ErrorCode, new (message: string) => LockboxError> = {
  not_found: NotFoundError,
  already_exists: AlreadyExistsError,
  invalid: InvalidError,
  conflict: ConflictError,
  unauthenticated: AuthenticationError,
  permission_denied: PermissionDeniedError,
  rate_limited: RateLimitedError,
  integrity: IntegrityError,
  function_timeout: FunctionTimeoutError,
  remote_error: RemoteError,
  resource_exhausted: ResourceExhaustedError,
  unavailable: UnavailableError,
  internal: InternalError,
};

/** HTTP status for each code: the one table the server uses. */
export const httpStatusByCode: Record<ErrorCode, number> = {
  not_found: 404,
  already_exists: 409,
  invalid: 400,
  conflict: 409,
  unauthenticated: 401,
  permission_denied: 403,
  rate_limited: 429,
  integrity: 500,
  function_timeout: 504,
  remote_error: 500,
  resource_exhausted: 429,
  unavailable: 503,
  internal: 500,
};

/**
 * Rebuilds the error class for a code received over the wire; `retryAfterSeconds` (an answer's
 * `Retry-After`) goes to a `ResourceExhaustedError`.
 */
export function errorFromCode(code: string, message: string, retryAfterSeconds?: number): LockboxError {
  if (code === "resource_exhausted") return new ResourceExhaustedError(message, retryAfterSeconds);
  const ErrorClass = classByCode[code as ErrorCode] ?? InternalError;
  return new ErrorClass(message);
}
