import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  captureOutput,
  processesWith,
  type TestBundle,
  writeTestBundle,
} from "../test-support/container-bundle.js";
import { createContainerPool } from "./container-pool.js";
import type { ContainerBackendName, ContainerPool, ContainerSpec } from "./container-types.js";

const start = (spec: ContainerSpec) => async () => spec;

describe("sandbox backend", () => {
  let bundle: TestBundle;
  let pool: ContainerPool;

  beforeAll(() => {
    bundle = writeTestBundle();
    pool = createContainerPool({ backend: "sandbox", output: captureOutput() });
  });

  afterAll(async () => {
    await pool.close();
    bundle.remove();
  });

  it("runs as uid 65534 on a host named lockbox", async () => {
    expect(await pool.call("who", start(bundle.spec("whoami")), [])).toMatchObject({ uid: 65534 });
    expect(await pool.call("host", start(bundle.spec("hostname")), [])).toBe("lockbox");
  });

  it("cannot write outside its private /tmp", async () => {
    const write = (path: string) => pool.call("write", start(bundle.spec("tryWrite")), [path]);
    expect(await write(join(bundle.dir, "planted.mjs"))).toBe("EROFS");
    expect(await write("/etc/lockbox-planted")).toBe("EROFS");
    expect(await write("/usr/local/bin/lockbox-planted")).toBe("EROFS");
    const own = `/tmp/lockbox-sandbox-${process.pid}`;
    expect(await write(own)).toBe("written");
    expect(existsSync(own)).toBe(false);
    expect(existsSync(join(bundle.dir, "planted.mjs"))).toBe(false);
  });

  // As root, bubblewrap would map uid 65534 to root outside and read every root-owned file.
  it.runIf(process.getuid?.() === 0)("cannot read files only the host's root may read", async () => {
    const secretFile = join(bundle.dir, "master.key");
    writeFileSync(secretFile, "not for functions");
    chmodSync(secretFile, 0o600);
    expect(await pool.call("read", start(bundle.spec("tryRead")), [secretFile])).toBe("EACCES");
    expect(await pool.call("read", start(bundle.spec("tryRead")), ["/etc/shadow"])).toBe("EACCES");
  });

  it("hides the data folder it is given, even where its files are readable by everyone", async () => {
    const dataDir = mkdtempSync(join("/var/tmp", "lockbox-data-"));
    chmodSync(dataDir, 0o755);
    const keyFile = join(dataDir, "master.key");
    writeFileSync(keyFile, "not for functions", { mode: 0o644 });
    const hiding = createContainerPool({
      backend: "sandbox",
      output: captureOutput(),
      hiddenPaths: [dataDir],
    });
    try {
      // Without hiding, the file is readable: so the next assertion means something.
      expect(await pool.call("read-open", start(bundle.spec("tryRead")), [keyFile])).toBe(
        "not for functions",
      );
      expect(await hiding.call("read-hidden", start(bundle.spec("tryRead")), [keyFile])).toBe("ENOENT");
    } finally {
      await hiding.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it.runIf(process.getuid?.() === 0)("refuses a bundle in a folder uid 65534 cannot enter", async () => {
    const hidden = mkdtempSync(join(tmpdir(), "lockbox-hidden-"));
    try {
      const nested = join(hidden, "deeper");
      mkdirSync(nested);
      writeFileSync(join(nested, "bundle.mjs"), "");
      const spec = bundle.spec("env", { bundlePath: join(nested, "bundle.mjs") });
      await expect(pool.call("hidden", start(spec), [])).rejects.toThrow(
        `The sandbox runs as uid 65534, which cannot enter '${hidden}'`,
      );
    } finally {
      rmSync(hidden, { recursive: true, force: true });
    }
  });

  it("sees only its own processes, and no other container's environment", async () => {
    const holderValue = `holder-${process.pid}-value`;
    const holder = pool.call("holder", start(bundle.spec("sleep", { env: { HELD: holderValue } })), [1500]);
    await vi.waitFor(() => expect(processesWith(bundle.dir).length).toBeGreaterThan(0));
    const scan = (await pool.call("scan", start(bundle.spec("scanProc")), [holderValue])) as {
      pids: number[];
      found: number[];
    };
    expect(scan.found).toEqual([]);
    expect(Math.max(...scan.pids)).toBeLessThan(10);
    await holder;
  });
});

// The `process` backend isolates the environment only: shown here so the test above means something.
describe("process backend", () => {
  it("can read another container's environment (no isolation beyond a clean env)", async () => {
    const bundle = writeTestBundle();
    const backend: ContainerBackendName = "process";
    const pool = createContainerPool({ backend, output: captureOutput() });
    try {
      const holderValue = `holder-${process.pid}-value`;
      const holder = pool.call("holder", start(bundle.spec("sleep", { env: { HELD: holderValue } })), [1500]);
      await vi.waitFor(() => expect(processesWith(bundle.dir).length).toBeGreaterThan(0));
      const scan = (await pool.call("scan", start(bundle.spec("scanProc")), [holderValue])) as {
        found: number[];
      };
      expect(scan.found.length).toBeGreaterThan(0);
      await holder;
    } finally {
      await pool.close();
      bundle.remove();
    }
  });
});
