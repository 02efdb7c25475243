import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteError } from "../shared/errors.js";
import { captureOutput, type TestBundle, writeTestBundle } from "../test-support/container-bundle.js";
import { createContainerPool } from "./container-pool.js";
import type { ContainerBackendName, ContainerSpec } from "./container-types.js";

const backends: ContainerBackendName[] = ["process", "sandbox"];
const secret = "s3cr3t-value-4f9a";

describe.each(backends)("container output (%s)", (backend) => {
  let bundle: TestBundle;
  const start = (spec: ContainerSpec) => async () => spec;

  beforeAll(async () => {
    bundle = await writeTestBundle();
  });

  afterAll(() => bundle.remove());

  async function run(maskValues: string[], name: "print" | "printSplit" | "fail", args: unknown[]) {
    const output = captureOutput();
    const pool = createContainerPool({ backend, output });
    try {
      const spec = bundle.spec(name, { env: { TOKEN: secret }, maskValues });
      const result = await pool.call("k", start(spec), args).catch((error: unknown) => error);
      return { result, ...output.text() };
    } finally {
      await pool.close();
    }
  }

  it("streams stdout and stderr with secret values masked", async () => {
    const { stdout, stderr } = await run([secret], "print", [`token=${secret}!\n`, `err ${secret}\n`]);
    expect(stdout).toBe("token=***!\n");
    expect(stderr).toBe("err ***\n");
  });

  it("masks a value split across two writes", async () => {
    const { stdout } = await run([secret], "printSplit", [
      `token=${secret.slice(0, 6)}`,
      `${secret.slice(6)}!\n`,
    ]);
    expect(stdout).toBe("token=***!\n");
  });

  it("masks a value printed in base64, base64url and URL-encoded", async () => {
    const value = "p@ss w/rd+=?&";
    const bytes = Buffer.from(value);
    const printed = `${bytes.toString("base64")} ${bytes.toString("base64url")} ${encodeURIComponent(value)}\n`;
    const { stdout, stderr } = await run([value], "print", [printed, `err ${printed}`]);
    expect(stdout).toBe("*** *** ***\n");
    expect(stderr).toBe("err *** *** ***\n");
  });

  it("passes output through unchanged when masking is off", async () => {
    const { stdout, stderr } = await run([], "print", [`token=${secret}\n`, `err ${secret}\n`]);
    expect(stdout).toBe(`token=${secret}\n`);
    expect(stderr).toBe(`err ${secret}\n`);
  });

  it("masks secret values in a thrown error too", async () => {
    const { result } = await run(["it broke"], "fail", []);
    expect(result).toBeInstanceOf(RemoteError);
    expect(result).toMatchObject({ message: "***" });
    expect((result as RemoteError).remoteStack).not.toContain("it broke");
  });
});
