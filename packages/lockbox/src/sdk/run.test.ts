import { join } from "node:path";
import { InvalidError, NotFoundError, RemoteError } from "@lockbox/server/shared";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { useTempHome } from "../test-support/sdk-home.js";
import { userProject, wrongKeys } from "../test-support/user-module.js";
import { clientApi } from "./client.js";
import { type StartedRun, startRun } from "./runner.js";
import { Secret } from "./secret.js";

// Fixture values, compared in code and never printed: a failure names keys only.
const password = "fixture-password-7f3a";
const dotenvValue = "fixture-dotenv-91c2";

const userModule = `
import { App, Secret, isLocal } from "lockbox";

const app = new App("e2e");
const local = isLocal() ? Secret.fromDict({ FOO: process.env.LOCKBOX_TEST_LOCAL_FOO }) : Secret.fromDict({});
const visible = (): Record<string, string | undefined> => ({ ...process.env });

export const report = app.function(
  {
    secrets: [Secret.fromName("secret-keys"), Secret.fromName("other-secret"), local, Secret.fromDotenv("__PROJECT__/src")],
    env: { LAST: "env" },
  },
  async (tag: string) => ({ tag, local: isLocal(), env: visible() }),
);
export const shout = app.function({ secrets: [Secret.fromName("secret-keys")] }, async () => {
  console.log("the password is " + process.env.MY_PASSWORD);
  return "done";
});
export const fails = app.function(async () => {
  throw new RangeError("out of range");
});
export const missing = app.function({ secrets: [Secret.fromName("not-there")] }, async () => "never");
export const square = app.function(async (n: number) => n * n);
const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => ["BIG_" + i, "x".repeat(30_000)]));
export const tooBig = app.function({ secrets: [Secret.fromName("other-secret"), Secret.fromDict(isLocal() ? big : {})] }, async () => 0);
export const main = app.localEntrypoint(async () => "entry ran, local " + isLocal());
`;

// Both backends, always: `npm test` installs bubblewrap, and a missing sandbox must fail here.
const backends = ["process", "sandbox"];

describe.each(backends)("a run with the %s backend", (backend) => {
  let home: ReturnType<typeof useTempHome>;
  let project: ReturnType<typeof userProject>;
  let run: StartedRun;

  beforeAll(async () => {
    home = useTempHome();
    process.env.LOCKBOX_CONTAINER = backend;
    process.env.LOCKBOX_TEST_LOCAL_FOO = "from-the-caller";
    process.env.LOCKBOX_TEST_HOST_ONLY = "host-only";
    project = userProject({ ".env": `DOTENV_KEY=${dotenvValue}\n`, "src/app.ts": userModule });
    await Secret.objects.create("secret-keys", { MY_PASSWORD: password, CLASH: "first" });
    await Secret.objects.create("other-secret", { CLASH: "second" });
    run = await startRun({ entryFile: join(project.path, "src", "app.ts") });
  });

  afterAll(async () => {
    await run?.stop();
    project?.remove();
    delete process.env.LOCKBOX_CONTAINER;
    delete process.env.LOCKBOX_TEST_LOCAL_FOO;
    delete process.env.LOCKBOX_TEST_HOST_ONLY;
    await home.restore();
  });

  it("runs the function in a container with its secrets and nothing else of the host", async () => {
    const report = run.findFunction("report");
    const result = (await report?.remote("t1")) as {
      tag: string;
      local: boolean;
      env: Record<string, string>;
    };
    expect(result.tag).toBe("t1");
    expect(result.local).toBe(false);
    // The container's small base; every other variable must come from a secret.
    const base = ["PATH", "HOME", "LANG", "PWD"];
    const secrets = Object.fromEntries(Object.entries(result.env).filter(([key]) => !base.includes(key)));
    expect(result.env.PATH).toBeDefined();
    expect(
      wrongKeys(secrets, {
        MY_PASSWORD: password,
        CLASH: "second",
        FOO: "from-the-caller",
        DOTENV_KEY: dotenvValue,
        LAST: "env",
      }),
    ).toEqual([]);
    expect(Object.keys(result.env)).not.toContain("LOCKBOX_TEST_HOST_ONLY");
    expect(Object.keys(result.env)).not.toContain("LOCKBOX_HOME");
  });

  it("masks the function's output of a secret value", async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      expect(await run.findFunction("shout")?.remote()).toBe("done");
    } finally {
      spy.mockRestore();
    }
    const output = written.join("");
    expect(output).toContain("the password is ***");
    expect(output.includes(password)).toBe(false);
  });

  it("gives RemoteError with the remote name and message when the function throws", async () => {
    const error = await run
      .findFunction("fails")
      ?.remote()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).remoteName).toBe("RangeError");
    expect((error as RemoteError).message).toContain("out of range");
  });

  it("fails on a missing secret before any container starts", async () => {
    const api = await clientApi();
    const starts = async () =>
      (await api.audit.list({})).filter((entry) => entry.action === "container.start").length;
    const before = await starts();
    await expect(run.findFunction("missing")?.remote()).rejects.toThrow(
      new NotFoundError("Secret 'not-there' not found in environment 'main'"),
    );
    expect(await starts()).toBe(before);
  });

  it("refuses an environment too big for the kernel, naming its secrets", async () => {
    const error = await run
      .findFunction("tooBig")
      ?.remote()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidError);
    expect((error as Error).message).toMatch(/too large to start a container/);
    expect((error as Error).message).toContain("'other-secret', 'Secret.fromDict([BIG_0,");
  });

  it("maps inputs to results in order", async () => {
    const results: unknown[] = [];
    for await (const value of run.findFunction("square")?.map([1, 2, 3, 4]) ?? []) results.push(value);
    expect(results).toEqual([1, 4, 9, 16]);
  });

  it("exposes the local entrypoint, which runs here", async () => {
    expect(await (run.localEntrypoint as () => Promise<string>)()).toBe("entry ran, local true");
    expect(run.findFunction("main")).toBeUndefined();
  });
});
