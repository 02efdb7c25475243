import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../packages/lockbox/src/test-support/run-cli.js";

// The guide's four examples, run as a user runs them: `lockbox run FILE::FUNCTION`, in real
// containers of both backends.
const examples = fileURLToPath(new URL(".", import.meta.url));
const password = "hunter2-example-password";

describe.each(["process", "sandbox"])("the guide's examples (%s backend)", (backend) => {
  let home: ReturnType<typeof tempDir>;
  const lockbox = (args: string[], env: Record<string, string> = {}) =>
    runCli(args, { env: { LOCKBOX_HOME: home.path, LOCKBOX_CONTAINER: backend, ...env }, cwd: examples });

  beforeAll(async () => {
    home = tempDir("lockbox-examples-");
    for (const args of [
      ["secret-keys", `MY_PASSWORD=${password}`],
      ["my-secret-name", "FOO=from-my-secret-name", "ONLY_MINE=1"],
      ["other-secret", "FOO=from-other-secret"],
    ]) {
      expect((await lockbox(["secret", "create", ...args])).code).toBe(0);
    }
  });
  afterAll(() => home.remove());

  it("injects one secret, and masks its value in the output", async () => {
    const result = await lockbox(["run", "secret-keys.ts::someFunction"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe("MY_PASSWORD is set: true\nMY_PASSWORD is ***\n");
  });

  it("applies two secrets in order: the later one wins a clash", async () => {
    const result = await lockbox(["run", "--no-mask", "two-secrets.ts::otherFunction"]);
    expect(result.stdout).toBe("FOO is from-other-secret\n");
  });

  it("sends a local value with Secret.fromDict when isLocal()", async () => {
    const result = await lockbox(["run", "--no-mask", "local-secret.ts::someFunction"], {
      LOCAL_FOO: "hello",
    });
    expect(result).toMatchObject({ code: 0, stdout: "hello\n" });
  });

  it("loads the .env file found upward from the working directory", async () => {
    const result = await lockbox(["run", "--no-mask", "dotenv.ts::someOtherFunction"]);
    expect(result).toMatchObject({ code: 0, stdout: "lockbox-example-user\n" });
  });
});
