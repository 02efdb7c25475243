import { describe, expect, it } from "vitest";
import {
  errorCodes,
  errorFromCode,
  httpStatusByCode,
  LockboxError,
  ResourceExhaustedError,
  UnavailableError,
} from "./errors.js";

describe("errorFromCode", () => {
  it.each(errorCodes)("rebuilds a class with the code %s and its message", (code) => {
    const error = errorFromCode(code, `a ${code} message`);
    expect(error).toBeInstanceOf(LockboxError);
    expect(error).toMatchObject({ code, message: `a ${code} message` });
    expect(error.name).not.toBe("LockboxError");
  });

  it("gives a ResourceExhaustedError the Retry-After of its answer (1 s without one)", () => {
    expect(errorFromCode("resource_exhausted", "full", 7)).toMatchObject({ retryAfterSeconds: 7 });
    const rebuilt = errorFromCode("resource_exhausted", "full");
    expect(rebuilt).toBeInstanceOf(ResourceExhaustedError);
    expect(rebuilt).toMatchObject({ retryAfterSeconds: 1, name: "ResourceExhaustedError" });
    expect(errorFromCode("unavailable", "stopping")).toBeInstanceOf(UnavailableError);
  });

  it("answers a full server with 429 and a stopping one with 503", () => {
    expect(httpStatusByCode.resource_exhausted).toBe(429);
    expect(httpStatusByCode.unavailable).toBe(503);
  });
});
