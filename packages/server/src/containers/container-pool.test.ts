import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { insideContainer } from "../shared/container-markers.js";
import { FunctionTimeoutError, InvalidError, RemoteError } from "../shared/errors.js";
import {
  captureOutput,
  processesWith,
  type TestBundle,
  writeTestBundle,
} from "../test-support/container-bundle.js";
import { createContainerPool } from "./container-pool.js";
import type { ContainerBackendName, ContainerPool, ContainerSpec } from "./container-types.js";

const backends: ContainerBackendName[] = ["process", "sandbox"];
const base = { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/tmp", LANG: process.env.LANG || "C.UTF-8" };

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a rejection"),
    (error: unknown) => error,
  );
}

/** Waits until no container of `marker`'s bundle started afresh runs (its spare may wait). */
async function gone(marker: string): Promise<void> {
  await vi.waitFor(() => expect(processesWith(marker, { spares: false })).toEqual([]), {
    timeout: 3000,
    interval: 20,
  });
}

describe.each(backends)("createContainerPool (%s)", (backend) => {
  let bundle: TestBundle;
  let pool: ContainerPool;
  const output = captureOutput();
  const start = (spec: ContainerSpec) => async () => spec;

  beforeAll(async () => {
    process.env.LOCAL_FOO = "host-canary-value";
    bundle = await writeTestBundle();
    pool = createContainerPool({ backend, output, maxContainersPerKey: 4 });
  });

  afterAll(async () => {
    await pool.close();
    bundle.remove();
    delete process.env.LOCAL_FOO;
  });

  it("reports its backend", () => {
    expect(pool.backend).toBe(backend);
  });

  it("gives the function the base environment and its secrets, nothing from the host", async () => {
    const env = await pool.call("env", start(bundle.spec("env", { env: { FOO: "bar", EMPTY: "" } })), []);
    expect(env).toEqual({ ...base, FOO: "bar", EMPTY: "" });
    expect(env).not.toHaveProperty("LOCAL_FOO");
  });

  it("marks the container as inside, and this process as local", async () => {
    expect(await pool.call("inside", start(bundle.spec("inside")), [])).toBe(true);
    expect(insideContainer()).toBe(false);
  });

  it("passes arguments and results as structured clone data", async () => {
    const args = [
      new Map([["when", new Date(0)]]),
      new Uint8Array([1, 2, 255]),
      { nested: { list: [1, "two", null] } },
    ];
    expect(await pool.call("echo", start(bundle.spec("echo")), args)).toEqual(args);
    const [map] = (await pool.call("echo", start(bundle.spec("echo")), args)) as [Map<string, Date>];
    expect(map.get("when")).toBeInstanceOf(Date);
  });

  it("rejects arguments and results that cannot be cloned", async () => {
    expect(await thrown(pool.call("echo", start(bundle.spec("echo")), [() => 1]))).toBeInstanceOf(
      InvalidError,
    );
    const error = await thrown(pool.call("fn", start(bundle.spec("returnFunction")), []));
    expect(error).toMatchObject({
      remoteName: "DataCloneError",
      message: expect.stringContaining("'returnFunction'"),
    });
    expect(await pool.call("echo", start(bundle.spec("echo")), [1])).toEqual([1]);
  });

  it("turns a thrown error into RemoteError with its name, message and stack", async () => {
    const error = await thrown(pool.call("fail", start(bundle.spec("fail")), []));
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ message: "it broke", remoteName: "CustomError" });
    expect((error as RemoteError).remoteStack).toMatch(/CustomError: it broke[\s\S]*app\.mjs/);
  });

  it("names a function the bundle does not define", async () => {
    const error = await thrown(
      pool.call("ghost", start(bundle.spec("env", { functionIndex: 99, functionName: "ghost" })), []),
    );
    expect(error).toMatchObject({ message: "Function 'ghost' is not defined by the bundle (index 99)" });
  });

  it("kills a function over its timeout, and the next call gets a new container", async () => {
    const own = await writeTestBundle();
    try {
      const spec = own.spec("sleep", { timeoutMs: 500 });
      const call = pool.call("slow", start(spec), [60_000]);
      await vi.waitFor(() => expect(processesWith(own.dir).length).toBeGreaterThan(0), { timeout: 3000 });
      const error = await thrown(call);
      expect(error).toBeInstanceOf(FunctionTimeoutError);
      expect(error).toMatchObject({ message: "Function 'sleep' timed out after 500 ms" });
      await gone(own.dir);
      expect(await pool.call("slow", start(spec), [1])).toBeUndefined();
    } finally {
      own.remove();
    }
  });

  it("fails the call of a container that dies, then starts a new one", async () => {
    const spec = bundle.spec("exit");
    const error = await thrown(pool.call("exit", start(spec), [3]));
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as Error).message).toBe("Container for function 'exit' exited unexpectedly (exit code 3)");
    expect(await pool.call("exit", start(bundle.spec("whoami")), [])).toMatchObject({
      id: expect.any(String),
    });
  });

  it("reuses a warm container for the same key only, calling start() only to start one", async () => {
    const startA = vi.fn(start(bundle.spec("whoami")));
    const startB = vi.fn(start(bundle.spec("whoami")));
    const first = (await pool.call("warm-a", startA, [])) as { id: string };
    const second = (await pool.call("warm-a", startA, [])) as { id: string };
    const other = (await pool.call("warm-b", startB, [])) as { id: string };
    expect(second.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
    expect(startA).toHaveBeenCalledTimes(1);
    expect(startB).toHaveBeenCalledTimes(1);
  });

  it("gives no call to a container past its reuse time (its identity token would expire): it starts another", async () => {
    const expiring = vi.fn(start({ ...bundle.spec("whoami"), reuseUntilMs: Date.now() - 1 }));
    const lasting = vi.fn(start({ ...bundle.spec("whoami"), reuseUntilMs: Date.now() + 3_600_000 }));
    const first = (await pool.call("reuse-past", expiring, [])) as { id: string };
    const second = (await pool.call("reuse-past", expiring, [])) as { id: string };
    expect(second.id).not.toBe(first.id);
    expect(expiring).toHaveBeenCalledTimes(2);
    await pool.call("reuse-within", lasting, []);
    await pool.call("reuse-within", lasting, []);
    expect(lasting).toHaveBeenCalledTimes(1);
  });

  it("rejects the call when start() rejects, and starts nothing", async () => {
    const own = await writeTestBundle();
    try {
      const failing = vi.fn(async (): Promise<ContainerSpec> => {
        throw new InvalidError("Secret 'missing' not found");
      });
      await expect(pool.call("broken", failing, [])).rejects.toThrow("Secret 'missing' not found");
      expect(processesWith(own.dir)).toEqual([]);
      expect(await pool.call("broken", start(own.spec("echo")), [2])).toEqual([2]);
    } finally {
      own.remove();
    }
  });

  it("refuses an environment too large for exec, naming the secrets, before starting anything", async () => {
    const own = await writeTestBundle();
    try {
      const value = "v".repeat(32_768);
      const env = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`KEY_${i}`, value]));
      const spec = own.spec("env", { env, sources: ["big-one", "big-two"] });
      const error = await thrown(pool.call("huge", start(spec), []));
      expect(error).toBeInstanceOf(InvalidError);
      expect((error as Error).message).toMatch(
        /^The merged environment is too large to start a container \([\d,]+ bytes; at most 1,048,576\): it comes from secrets 'big-one', 'big-two'$/,
      );
      expect(processesWith(own.dir)).toEqual([]);
      // Just under the budget still starts: the budget is within what exec accepts.
      const fits = Object.fromEntries(Object.entries(env).slice(0, 31));
      const seen = (await pool.call("fits", start(own.spec("env", { env: fits })), [])) as Record<
        string,
        string
      >;
      expect(Object.keys(seen)).toHaveLength(31 + 3);
    } finally {
      own.remove();
    }
  });

  it("runs 20 concurrent calls on at most 4 containers", async () => {
    const spec = bundle.spec("whoami");
    const results = (await Promise.all(
      Array.from({ length: 20 }, () => pool.call("many", start(spec), [50])),
    )) as Array<{ id: string }>;
    expect(results).toHaveLength(20);
    expect(new Set(results.map((result) => result.id)).size).toBe(4);
  });

  it("runs 300 quick calls through a few warm containers", async () => {
    const spec = bundle.spec("echo");
    const inputs = Array.from({ length: 300 }, (_, i) => i);
    const results = await Promise.all(inputs.map((i) => pool.call("quick", start(spec), [i])));
    expect(results).toEqual(inputs.map((i) => [i]));
  });

  it("imports `lockbox` from the SDK file that travels in its folder, nothing of the installation", async () => {
    const sdk = join(mkdtempSync(join(tmpdir(), "lockbox-sdk-")), "sdk.mjs");
    writeFileSync(sdk, "export const where = import.meta.url;");
    const code = `import { where } from "lockbox";
      (globalThis[Symbol.for("lockbox.functions")] ??= []).push(() => where);`;
    const own = await writeTestBundle({ code, sdkFile: sdk });
    try {
      const where = (await pool.call("sdk", start(own.spec("env", { functionIndex: 0 })), [])) as string;
      const folder = backend === "sandbox" ? "/lockbox" : own.dir;
      expect(where).toBe(`file://${folder}/node_modules/lockbox/index.js`);
    } finally {
      own.remove();
      rmSync(dirname(sdk), { recursive: true, force: true });
    }
  });

  it("starts a bundle's next container from a spare, which takes its secrets over IPC", async () => {
    const own = await writeTestBundle();
    const spared = createContainerPool({ backend, output: captureOutput() });
    try {
      await spared.call("first", start(own.spec("whoami")), []);
      const spares = () => processesWith(own.dir).length - processesWith(own.dir, { spares: false }).length;
      await vi.waitFor(() => expect(spares()).toBeGreaterThan(0), { timeout: 3000 });
      const canary = `spare-${process.pid}-canary`;
      const env = Object.fromEntries([
        ["CANARY", canary],
        ["PWD", "/given"],
        ["__proto__", "a key like any other"],
      ]);
      const spare = (await spared.call("second", start(own.spec("environ", { env })), [canary])) as {
        env: Record<string, string>;
        inEnviron: boolean;
      };
      expect(spare.env).toEqual({ ...base, ...env });
      // Not in the environment the process started with: it came over IPC, into a spare.
      expect(spare.inEnviron).toBe(false);
      // A variable node reads only as it starts: the container starts with its secrets.
      const nodeEnv = { CANARY: canary, NODE_NO_WARNINGS: "1" };
      const fresh = (await spared.call("third", start(own.spec("environ", { env: nodeEnv })), [canary])) as {
        env: Record<string, string>;
        inEnviron: boolean;
      };
      expect(fresh.env).toEqual({ ...base, ...nodeEnv });
      expect(fresh.inEnviron).toBe(true);
    } finally {
      await spared.close();
      own.remove();
    }
  });

  it("stops every container on close, and refuses calls after", async () => {
    const own = await writeTestBundle();
    const output = captureOutput();
    const closing = createContainerPool({ backend, output });
    try {
      await closing.call("a", start(own.spec("whoami")), []);
      const busy = closing
        .call("b", start(own.spec("announceSleep")), [60_000])
        .catch((error: unknown) => error);
      // Its call is running (not merely its container, or the bundle's spare, started).
      await vi.waitFor(() => expect(output.text().stdout).toContain("sleeping\n"), { timeout: 5000 });
      await closing.close();
      expect(processesWith(own.dir)).toEqual([]);
      expect(await busy).toMatchObject({
        message: "Container for function 'announceSleep' was stopped (the pool closed)",
      });
      await expect(closing.call("a", start(own.spec("whoami")), [])).rejects.toThrow(
        "The container pool is closed",
      );
    } finally {
      own.remove();
    }
  });
});
