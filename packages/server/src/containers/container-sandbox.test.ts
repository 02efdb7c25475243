import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FunctionTimeoutError } from "../shared/errors.js";
import type { NetworkMode } from "../shared/rules.js";
import {
  captureOutput,
  processesWith,
  type TestBundle,
  writeTestBundle,
} from "../test-support/container-bundle.js";
import { writeContainerFolder } from "./container-folder.js";
import { createContainerPool } from "./container-pool.js";
import type { ContainerBackendName, ContainerPool, ContainerSpec } from "./container-types.js";

const start = (spec: ContainerSpec) => async () => spec;
const asRoot = process.getuid?.() === 0;

/** A world-readable file in a fresh world-enterable folder under `parent`, as a careless host leaves one. */
function plant(parent: string, name = "master.key"): { file: string; remove(): void } {
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, "lockbox-planted-"));
  chmodSync(dir, 0o755);
  const file = join(dir, name);
  writeFileSync(file, "not for functions", { mode: 0o644 });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function listen(server: Server, ...address: unknown[]): Promise<void> {
  return new Promise((resolve) => server.listen(...(address as [string]), resolve));
}

describe("sandbox backend", () => {
  let bundle: TestBundle;
  let pool: ContainerPool;
  const call = (
    name: Parameters<TestBundle["spec"]>[0],
    args: unknown[],
    overrides: Partial<ContainerSpec> = {},
  ) => pool.call(`${name}-${JSON.stringify(overrides)}`, start(bundle.spec(name, overrides)), args);

  beforeAll(async () => {
    bundle = await writeTestBundle();
    pool = createContainerPool({ backend: "sandbox", output: captureOutput() });
  });

  afterAll(async () => {
    await pool.close();
    bundle.remove();
  });

  it("runs as uid 65534 on a host named lockbox", async () => {
    expect(await call("whoami", [])).toMatchObject({ uid: 65534 });
    expect(await call("hostname", [])).toBe("lockbox");
  });

  it("sees an allow-list of the host: system folders, its own folder, a private /tmp", async () => {
    const allowed = [
      "bin",
      "dev",
      "etc",
      "lib",
      "lib32",
      "lib64",
      "libx32",
      "lockbox",
      "proc",
      "sbin",
      "tmp",
      "usr",
    ];
    const root = (await call("listDir", ["/"])) as string[];
    expect(root.filter((entry) => !allowed.includes(entry))).toEqual([]);
    expect(root).toEqual(expect.arrayContaining(["etc", "lockbox", "tmp", "usr"]));
    expect(await call("listDir", ["/lockbox"])).toEqual(["app.mjs", "container-main.mjs", "etc"]);
    expect(await call("listDir", ["/tmp"])).toEqual([]);
    expect(await call("tryRead", ["/etc/passwd"])).toBe(
      "nobody:x:65534:65534:Lockbox function:/tmp:/usr/sbin/nologin\n",
    );
    expect(await call("tryRead", ["/etc/shadow"])).toBe("ENOENT");
  });

  it.runIf(asRoot)("cannot read a world-readable file the host left in /srv, /opt or /home", async () => {
    const planted = ["/srv", "/opt", "/home"].map((parent) => plant(parent));
    try {
      for (const { file } of planted) expect(await call("tryRead", [file])).toBe("ENOENT");
    } finally {
      for (const { remove } of planted) remove();
    }
  });

  it("cannot read any Lockbox's data folder, with the project and the data folder under /tmp", async () => {
    // The caller's LOCKBOX_HOME beside the bundle, and a same-user server's --data-dir in /tmp.
    const beside = plant(dirname(bundle.dir));
    const server = plant(tmpdir(), "lockbox.db");
    try {
      expect(await call("tryRead", [beside.file])).toBe("ENOENT");
      expect(await call("tryRead", [server.file])).toBe("ENOENT");
    } finally {
      beside.remove();
      server.remove();
    }
  });

  it("cannot write outside its private /tmp", async () => {
    for (const path of [
      "/lockbox/planted.mjs",
      "/etc/planted",
      "/usr/local/bin/planted",
      "/planted",
      "/dev/planted",
    ]) {
      expect(await call("tryWrite", [path])).toBe("EROFS");
    }
    expect(await call("tryWrite", ["/tmp/own"])).toBe("written");
  });

  it("writes at most `tmpMb` to /tmp", async () => {
    const filled = (await call("fillTmp", [24], { tmpMb: 8 })) as { written: number; error: string };
    expect(filled.written).toBeLessThanOrEqual(8);
    expect(["ENOSPC", "EFBIG"]).toContain(filled.error);
  });

  it("leaves no process running after its call ends or times out", async () => {
    const marker = `7${process.pid}1`;
    await call("spawnOrphans", [marker]);
    await vi.waitFor(() => expect(processesWith(marker)).toEqual([]), { timeout: 1000, interval: 20 });
    const late = `7${process.pid}2`;
    const hanging = pool.call("hang", start(bundle.spec("spawnOrphans", { timeoutMs: 1000 })), [
      late,
      60_000,
    ]);
    await vi.waitFor(() => expect(processesWith(late).length).toBeGreaterThan(0));
    await expect(hanging).rejects.toBeInstanceOf(FunctionTimeoutError);
    await vi.waitFor(() => expect(processesWith(late)).toEqual([]), { timeout: 1000, interval: 20 });
  });

  it("bounds the memory of all its processes together, each within its own limit", async () => {
    const hog = pool.call("hog", start(bundle.spec("hogMemory", { timeoutMs: 20_000 })), [3, 200]);
    await expect(hog).rejects.toThrow(
      "Container for function 'hogMemory' was stopped (its processes used more than 512 MiB of memory together)",
    );
  });

  it("bounds shared memory too, which no rlimit counts", async () => {
    const hog = pool.call("shared", start(bundle.spec("shareMemory", { timeoutMs: 20_000 })), [700]);
    await expect(hog).rejects.toThrow(
      "Container for function 'shareMemory' was stopped (its processes used more than 512 MiB of memory together)",
    );
  });

  it("kills from the host what the function starts between calls, whatever it did to its own process", async () => {
    const marker = `7${process.pid}5`;
    await call("spawnLater", [marker, 300]);
    await vi.waitFor(() => expect(processesWith(marker)).toEqual([]), { timeout: 500, interval: 20 });
    await new Promise((resolve) => setTimeout(resolve, 400)); // the timer fires between calls
    await vi.waitFor(() => expect(processesWith(marker)).toEqual([]), { timeout: 1000, interval: 20 });
  });

  it.runIf(asRoot)("runs on the host as a user of its own, not nobody's", async () => {
    const holder = pool.call("own-user", start(bundle.spec("sleep")), [1000]);
    await vi.waitFor(() => expect(processesWith(bundle.dir, { spares: false }).length).toBeGreaterThan(0));
    for (const pid of processesWith(bundle.dir)) {
      expect(readFileSync(`/proc/${pid}/status`, "latin1")).toMatch(/^Uid:\s+2147418112\s/m);
    }
    await holder;
  });

  it("runs a bounded number of processes, as root too", async () => {
    const spawned = (await call("spawnMany", [400])) as { started: number; refused: string | null };
    expect(spawned.refused).toBe("EAGAIN");
    expect(spawned.started).toBeLessThan(256);
  });

  it("sees only its own processes, and no other container's environment", async () => {
    const holderValue = `holder-${process.pid}-value`;
    const holder = pool.call("holder", start(bundle.spec("sleep", { env: { HELD: holderValue } })), [1500]);
    await vi.waitFor(() => expect(processesWith(bundle.dir, { spares: false }).length).toBeGreaterThan(0));
    const scan = (await call("scanProc", [holderValue])) as { pids: number[]; found: number[] };
    expect(scan.found).toEqual([]);
    expect(Math.max(...scan.pids)).toBeLessThan(10);
    await holder;
  });

  it.runIf(asRoot)(
    "refuses a container folder that the sandbox's host user cannot enter, naming the folder",
    async () => {
      const closed = mkdtempSync(join(tmpdir(), "lockbox-closed-"));
      try {
        const path = await writeContainerFolder(join(closed, "container"), { code: "" });
        await expect(
          pool.call("closed", start(bundle.spec("env", { bundlePath: path })), []),
        ).rejects.toThrow(`The sandbox runs as uid 2147418112 on the host, which cannot enter '${closed}'`);
      } finally {
        rmSync(closed, { recursive: true, force: true });
      }
    },
  );

  describe.each<NetworkMode>(["none", "outbound"])("with network %s", (network) => {
    const tcp = createServer((socket) => socket.end());
    const unix = createServer((socket) => socket.end());
    const abstract = createServer((socket) => socket.end());
    const socketDir = mkdtempSync(join(tmpdir(), "lockbox-socket-"));
    const socketPath = join(socketDir, "agent.sock");
    const abstractName = `\0lockbox-test-${process.pid}-${network}`;
    let port = 0;

    beforeAll(async () => {
      chmodSync(socketDir, 0o755);
      await listen(tcp, 0, "127.0.0.1");
      port = (tcp.address() as { port: number }).port;
      await listen(unix, socketPath);
      chmodSync(socketPath, 0o777);
      await listen(abstract, abstractName);
    });

    afterAll(() => {
      for (const server of [tcp, unix, abstract]) server.close();
      rmSync(socketDir, { recursive: true, force: true });
    });

    it("reaches no host loopback service and no host unix socket", async () => {
      const attempts: unknown[][] = [[port, "127.0.0.1"], [port, "10.0.2.2"], [socketPath], [abstractName]];
      for (const address of attempts) {
        expect(await call("connect", address, { network })).not.toBe("connected");
      }
    });

    // So that the test above means something: the same addresses answer outside the sandbox.
    it("the host itself reaches them", async () => {
      const { createConnection } = await import("node:net");
      for (const address of [[port, "127.0.0.1"], [socketPath], [abstractName]] as [string][]) {
        await new Promise<void>((resolve, reject) =>
          createConnection(...address)
            .once("connect", resolve)
            .once("error", reject),
        );
      }
    });
  });
});

// A caller started with a descriptor it does not close (a parent's pipe, a test runner's channel)
// must not hand it to functions: the driver below gets a private file at fd 100, not close-on-exec.
describe("descriptors the caller inherited", () => {
  const driver = `
    const { createContainerPool } = await import(process.argv[2]);
    const pool = createContainerPool({ backend: "sandbox", output: { stdout: process.stderr, stderr: process.stderr } });
    console.log(JSON.stringify(await pool.call("fds", async () => JSON.parse(process.argv[3]), [])));
    await pool.close();
  `;

  it("reach neither the function nor the sandbox's init", async () => {
    const bundle = await writeTestBundle();
    const dir = mkdtempSync(join(tmpdir(), "lockbox-fds-"));
    try {
      const privateFile = join(dir, "private.key");
      writeFileSync(privateFile, "not for functions", { mode: 0o600 });
      writeFileSync(join(dir, "driver.mjs"), driver);
      const containers = new URL("../../dist/containers/index.js", import.meta.url).href;
      // bash opens the file at fd 100 (not close-on-exec) and becomes the driver.
      const spec = JSON.stringify(bundle.spec("openDescriptors"));
      const script = 'exec 100<"$0"; exec "$@"';
      const driverArgs = [privateFile, process.execPath, join(dir, "driver.mjs"), containers, spec];
      const child = spawn("bash", ["-c", script, ...driverArgs], { stdio: ["ignore", "pipe", "inherit"] });
      let stdout = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk;
      });
      await new Promise((resolve) => child.once("close", resolve));
      const open = JSON.parse(stdout) as string[];
      expect(open.length).toBeGreaterThan(3);
      expect(open.filter((line) => line.includes(dir))).toEqual([]);
      expect(open).toContain("self/100 /dev/null");
    } finally {
      rmSync(dir, { recursive: true, force: true });
      bundle.remove();
    }
  });
});

// The `process` backend isolates the environment only: shown here so the tests above mean something.
describe("process backend", () => {
  let bundle: TestBundle;
  let pool: ContainerPool;

  beforeAll(async () => {
    bundle = await writeTestBundle();
    const backend: ContainerBackendName = "process";
    pool = createContainerPool({ backend, output: captureOutput() });
  });

  afterAll(async () => {
    await pool.close();
    bundle.remove();
  });

  it("can read another container's environment (no isolation beyond a clean env)", async () => {
    const holderValue = `holder-${process.pid}-value`;
    const holder = pool.call("holder", start(bundle.spec("sleep", { env: { HELD: holderValue } })), [1500]);
    await vi.waitFor(() => expect(processesWith(bundle.dir, { spares: false }).length).toBeGreaterThan(0));
    const scan = (await pool.call("scan", start(bundle.spec("scanProc")), [holderValue])) as {
      found: number[];
    };
    expect(scan.found.length).toBeGreaterThan(0);
    await holder;
  });

  it("kills every process a call started, and their children, when it ends", async () => {
    const marker = `7${process.pid}3`;
    await pool.call("orphans", start(bundle.spec("spawnOrphans")), [marker]);
    await vi.waitFor(() => expect(processesWith(marker)).toEqual([]), { timeout: 1000, interval: 20 });
  });
});
