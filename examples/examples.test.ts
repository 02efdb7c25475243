import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapToken } from "../packages/lockbox/src/test-support/cli-modes.js";
import { type CliServer, startCliServer } from "../packages/lockbox/src/test-support/cli-server.js";
import { type CliResult, runCli, tempDir } from "../packages/lockbox/src/test-support/run-cli.js";

// The guide's four examples, run as a user runs them: `lockbox run FILE::FUNCTION`, in real
// containers of both backends, embedded and in server mode (on the server, and with --local).
const examples = fileURLToPath(new URL(".", import.meta.url));
const password = "hunter2-example-password";

type Lockbox = (args: string[], env?: Record<string, string>) => Promise<CliResult>;

async function createSecrets(lockbox: Lockbox): Promise<void> {
  for (const args of [
    ["secret-keys", `MY_PASSWORD=${password}`],
    ["my-secret-name", "FOO=from-my-secret-name", "ONLY_MINE=1"],
    ["other-secret", "FOO=from-other-secret"],
  ]) {
    expect((await lockbox(["secret", "create", ...args])).code).toBe(0);
  }
}

/** The four examples, with `flags` after `run`. */
function theExamples(lockbox: () => Lockbox, flags: string[] = []): void {
  const run = (args: string[], env?: Record<string, string>) => lockbox()(["run", ...flags, ...args], env);

  it("injects one secret, and masks its value in the output", async () => {
    const result = await run(["secret-keys.ts::someFunction"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe("MY_PASSWORD is set: true\nMY_PASSWORD is ***\n");
  });

  it("applies two secrets in order: the later one wins a clash", async () => {
    const result = await run(["--no-mask", "two-secrets.ts::otherFunction"]);
    expect(result.stdout).toBe("FOO is from-other-secret\n");
  });

  it("sends a local value with Secret.fromDict when isLocal()", async () => {
    const result = await run(["--no-mask", "local-secret.ts::someFunction"], { LOCAL_FOO: "hello" });
    expect(result).toMatchObject({ code: 0, stdout: "hello\n" });
  });

  it("loads the .env file found upward from the working directory", async () => {
    const result = await run(["--no-mask", "dotenv.ts::someOtherFunction"]);
    expect(result).toMatchObject({ code: 0, stdout: "lockbox-example-user\n" });
  });
}

describe.each(["process", "sandbox"])("the guide's examples (%s backend)", (backend) => {
  let home: ReturnType<typeof tempDir>;
  const lockbox: Lockbox = (args, env = {}) =>
    runCli(args, { env: { LOCKBOX_HOME: home.path, LOCKBOX_CONTAINER: backend, ...env }, cwd: examples });

  beforeAll(async () => {
    home = tempDir("lockbox-examples-");
    await createSecrets(lockbox);
  });
  afterAll(() => home.remove());

  theExamples(() => lockbox);
});

describe("the guide's examples in server mode", () => {
  let data: ReturnType<typeof tempDir>;
  let client: ReturnType<typeof tempDir>;
  let server: CliServer;
  const lockbox: Lockbox = (args, env = {}) =>
    runCli(args, {
      env: {
        LOCKBOX_HOME: client.path,
        LOCKBOX_SERVER_URL: server.url,
        LOCKBOX_TOKEN: bootstrapToken,
        LOCKBOX_CONTAINER: "process",
        ...env,
      },
      cwd: examples,
    });

  beforeAll(async () => {
    data = tempDir("lockbox-examples-server-");
    client = tempDir("lockbox-examples-client-");
    server = await startCliServer({ LOCKBOX_HOME: data.path, LOCKBOX_BOOTSTRAP_TOKEN: bootstrapToken });
    await createSecrets(lockbox);
  });
  afterAll(async () => {
    await server.stop();
    data.remove();
    client.remove();
  });

  describe("on the server", () => theExamples(() => lockbox));
  describe("with --local", () => theExamples(() => lockbox, ["--local"]));
});
