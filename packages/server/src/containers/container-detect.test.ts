import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidError } from "../shared/errors.js";
import { assertExecEnvironment, execEnvironmentProblem, limits } from "../shared/rules.js";
import { detectBackend } from "./container-detect.js";
import { sandboxProblem } from "./container-sandbox.js";

describe("detectBackend", () => {
  it("honours the backend chosen (LOCKBOX_CONTAINER)", () => {
    expect(detectBackend("process")).toBe("process");
  });

  // The test machines install bubblewrap (scripts/setup.sh): the sandbox must start here.
  it("picks the sandbox, which starts here", () => {
    expect(sandboxProblem()).toBeUndefined();
    expect(detectBackend()).toBe("sandbox");
    expect(detectBackend("sandbox")).toBe("sandbox");
  });
});

describe("sandboxProblem", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "lockbox-probe-"));
    chmodSync(dir, 0o755); // as root, the probe runs as the sandbox's own host user
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("says bubblewrap is missing", () => {
    expect(sandboxProblem("/nonexistent/bwrap")).toBe("bubblewrap (bwrap) is not installed");
  });

  it("passes on bubblewrap's own message when it cannot make a sandbox", () => {
    const fake = join(dir, "bwrap");
    writeFileSync(fake, "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n", {
      mode: 0o755,
    });
    expect(sandboxProblem(fake)).toBe(
      "bubblewrap cannot start a sandbox here: bwrap: setting up uid map: Permission denied",
    );
  });

  it.runIf(process.getuid?.() === 0)(
    "names the folder the sandbox's host user cannot enter on the way to node",
    () => {
      const closed = join(dir, "closed");
      mkdirSync(join(closed, "bin"), { recursive: true, mode: 0o700 });
      const node = join(closed, "bin", "node");
      expect(sandboxProblem(undefined, node)).toBe(
        `the sandbox runs as uid 2147418112 on the host, which cannot enter '${closed}' to reach node (${node})`,
      );
    },
  );
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
