import { errorAnswer } from "@lockbox/server/http";
import {
  AlreadyExistsError,
  AuthenticationError,
  ConflictError,
  type ErrorCode,
  errorCodes,
  FunctionTimeoutError,
  IntegrityError,
  InternalError,
  InvalidError,
  type LockboxError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitedError,
  RemoteError,
  ResourceExhaustedError,
  UnavailableError,
} from "@lockbox/server/shared";
import { describe, expect, it } from "vitest";
import { answeredError } from "./http-client.js";

// Written out here, not taken from the registry under test: the class each code is thrown as.
const thrownAs: Record<ErrorCode, new (message: string) => LockboxError> = {
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

// A request as the server's error handler sees it: its id goes into the body, 5xx are logged.
const request = { id: "req-roundtrip", log: { error() {} } } as unknown as Parameters<typeof errorAnswer>[1];

/** The server's answer to `error`, through JSON as the wire carries it, rebuilt by the SDK. */
function roundTrip(error: LockboxError): LockboxError {
  const { status, body } = errorAnswer(error as Parameters<typeof errorAnswer>[0], request);
  return answeredError(status, JSON.parse(JSON.stringify({ error: body })));
}

describe("an error from the server to the SDK", () => {
  it.each(errorCodes)("comes back as the class the server threw for %s, with its message", (code) => {
    const thrown = new thrownAs[code](`a ${code} error, secret 'db'`);
    expect(thrown.code).toBe(code);
    const rebuilt = roundTrip(thrown);
    expect(rebuilt.constructor).toBe(thrown.constructor);
    expect(rebuilt).toMatchObject({ code, name: thrown.name, message: thrown.message });
  });

  it("keeps a function's own error name and stack, and when to try again", () => {
    const remote = roundTrip(new RemoteError("boom", "TypeError", "TypeError: boom\n    at fn"));
    expect(remote).toMatchObject({ remoteName: "TypeError", remoteStack: "TypeError: boom\n    at fn" });
    expect(roundTrip(new ResourceExhaustedError("full", 7))).toMatchObject({ retryAfterSeconds: 7 });
  });
});
