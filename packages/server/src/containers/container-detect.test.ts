import { describe, expect, it } from "vitest";
import { InvalidError } from "../shared/errors.js";
import { assertExecEnvironment, execEnvironmentProblem, limits } from "../shared/rules.js";
import { detectBackend } from "./container-detect.js";
import { sandboxWorks } from "./container-sandbox.js";

describe("detectBackend", () => {
  it("honours LOCKBOX_CONTAINER", () => {
    expect(detectBackend({ LOCKBOX_CONTAINER: "process" })).toBe("process");
  });

  it("rejects any other LOCKBOX_CONTAINER value, naming the allowed ones", () => {
    expect(() => detectBackend({ LOCKBOX_CONTAINER: "docker" })).toThrow(InvalidError);
    expect(() => detectBackend({ LOCKBOX_CONTAINER: "docker" })).toThrow(/'sandbox' or 'process'/);
  });

  it("picks the sandbox when bubblewrap works here", () => {
    expect(detectBackend({})).toBe(sandboxWorks() ? "sandbox" : "process");
    if (sandboxWorks()) expect(detectBackend({ LOCKBOX_CONTAINER: "sandbox" })).toBe("sandbox");
  });

  it("finds that the sandbox does not work without bubblewrap", () => {
    expect(sandboxWorks("/nonexistent/bwrap")).toBe(false);
  });
});

describe("execEnvironmentProblem", () => {
  const canary = "CANARY-exec-9b1d";

  it("accepts an environment within the budget", () => {
    expect(execEnvironmentProblem({ A: "x".repeat(100_000) }, ["a"])).toBeUndefined();
  });

  it("rejects a total over the budget, naming the secrets and no value", () => {
    const value = canary + "v".repeat(32_000);
    const env = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`K${i}`, value]));
    const problem = execEnvironmentProblem(env, ["db", "api-keys"]) ?? "";
    expect(problem).toMatch(
      /^The merged environment is too large to start a container \(1,\d{3},\d{3} bytes; at most 1,048,576\): it comes from secrets 'db', 'api-keys'$/,
    );
    expect(problem).not.toContain(canary);
  });

  // Measured here: exec takes a `KEY=VALUE` of 131,071 bytes (131,072 with its NUL), not one more.
  it("rejects one variable over the kernel's per-string limit, counting UTF-8 bytes and the NUL", () => {
    const value = "é".repeat(limits.execStringMaxBytes / 2);
    const problem = execEnvironmentProblem({ BIG: value }, ["blob"]);
    expect(problem).toMatch(
      /^Variable 'BIG' is too large to start a container \(131,077 bytes; at most 131,072\)/,
    );
    expect(problem).toContain("'blob'");
  });

  it("says where the variables come from when no secret is named", () => {
    expect(execEnvironmentProblem({ BIG: "x".repeat(200_000) }, [])).toMatch(
      /the function's own environment$/,
    );
  });

  it("throws InvalidError from assertExecEnvironment", () => {
    expect(() => assertExecEnvironment({ BIG: "x".repeat(200_000) }, ["s"])).toThrow(InvalidError);
    expect(() => assertExecEnvironment({ SMALL: "x" }, ["s"])).not.toThrow();
  });
});
