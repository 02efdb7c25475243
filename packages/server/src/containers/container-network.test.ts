import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NetworkMode } from "../shared/rules.js";
import { captureOutput, type TestBundle, writeTestBundle } from "../test-support/container-bundle.js";
import { findExecutable } from "./container-backend.js";
import { findNetworkHelper } from "./container-network.js";
import { createContainerPool } from "./container-pool.js";
import type { ContainerPool } from "./container-types.js";

const ip = (...args: string[]) => execFileSync("ip", args, { encoding: "utf8" });

// TEST-NET-2 and TEST-NET-3 (RFC 5737): never routed on the internet. The machine's own network
// may use one of them, so each is checked against every address and route here first.
const candidates = ["198.51.100", "203.0.113"];

interface Route {
  dst?: string;
}
interface Address {
  addr_info?: { local: string; prefixlen: number }[];
}

const toNumber = (address: string) => address.split(".").reduce((sum, part) => sum * 256 + Number(part), 0);

function overlaps(a: string, aBits: number, b: string, bBits: number): boolean {
  const bits = Math.min(aBits, bBits);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (toNumber(a) & mask) >>> 0 === (toNumber(b) & mask) >>> 0;
}

/** A /24 that no interface address and no route of this machine touches, or undefined. */
function unusedRange(): string | undefined {
  const routes = JSON.parse(ip("-j", "-4", "route", "show", "table", "all")) as Route[];
  const addresses = (JSON.parse(ip("-j", "-4", "addr")) as Address[]).flatMap((link) => link.addr_info ?? []);
  const used = [
    ...routes.flatMap(({ dst }) => {
      if (!dst || dst === "default") return [];
      const [net = "", bits = "32"] = dst.split("/");
      return [{ net, bits: Number(bits) }];
    }),
    ...addresses.map(({ local, prefixlen }) => ({ net: local, bits: prefixlen })),
  ];
  return candidates.find((prefix) => !used.some(({ net, bits }) => overlaps(`${prefix}.0`, 24, net, bits)));
}

const canMakeNetworks = process.getuid?.() === 0 && findExecutable("ip") !== undefined;

describe("the network helper's start", () => {
  it("waits until bubblewrap gave the sandbox its loopback address, which bringing lo up would race", async () => {
    // A slirp4netns that records the sandbox's routes as it starts, then is the real one.
    const dir = mkdtempSync(join(tmpdir(), "lockbox-seeing-slirp-"));
    chmodSync(dir, 0o777); // the sandbox's host user writes the record
    const real = findNetworkHelper();
    const seen = join(dir, "routes");
    writeFileSync(
      join(dir, "slirp4netns"),
      // The sandbox's pid is its last argument of digits only. One write a record: helpers of
      // spares run beside those of containers.
      `#!/bin/sh\nfor arg; do case "$arg" in *[!0-9]*) ;; *) target=$arg ;; esac; done\n` +
        `routes=$(cat /proc/$target/net/fib_trie || echo gone)\n` +
        `printf '%s\\n' "$(echo $routes | head -c 200)" >> ${seen}\nexec ${real} "$@"\n`,
      { mode: 0o755 },
    );
    const path = process.env.PATH;
    process.env.PATH = `${dir}:${path ?? ""}`;
    const bundle = await writeTestBundle();
    const pool = createContainerPool({ backend: "sandbox", output: captureOutput() });
    try {
      // Unordered, about one start in five raced: twenty show it nearly always.
      for (let i = 0; i < 20; i++) {
        const spec = bundle.spec("env", { network: "outbound" });
        expect(await pool.call(`start-${i}`, async () => spec, [])).toBeTruthy();
      }
      // A spare stopped as the pool closes may be gone before its helper looks.
      const starts = readFileSync(seen, "utf8")
        .trim()
        .split("\n")
        .filter((routes) => !routes.startsWith("gone"));
      expect(starts.length).toBeGreaterThanOrEqual(20);
      for (const routes of starts) expect(routes).toContain("127.0.0.1");
    } finally {
      process.env.PATH = path;
      await pool.close();
      bundle.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a network helper that fails", () => {
  it("stops the container, naming the helper and what it said", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockbox-fake-slirp-"));
    chmodSync(dir, 0o755);
    const fake = join(dir, "slirp4netns");
    writeFileSync(
      fake,
      "#!/bin/sh\necho 'fake slirp4netns: open(/dev/net/tun): No such device' >&2\nexit 1\n",
      {
        mode: 0o755,
      },
    );
    const path = process.env.PATH;
    process.env.PATH = `${dir}:${path ?? ""}`;
    const bundle = await writeTestBundle();
    const pool = createContainerPool({ backend: "sandbox", output: captureOutput() });
    try {
      await expect(
        pool.call("broken", async () => bundle.spec("env", { network: "outbound" }), []),
      ).rejects.toThrow(
        "Container for function 'env' was stopped (its network could not be set up: slirp4netns exited (code 1): fake slirp4netns: open(/dev/net/tun): No such device)",
      );
    } finally {
      process.env.PATH = path;
      await pool.close();
      bundle.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("findNetworkHelper", () => {
  it("names the helper to install, and the way around it", () => {
    expect(findNetworkHelper()).toMatch(/slirp4netns$/);
    expect(() => findNetworkHelper("")).toThrow(
      "A function with network: 'outbound' needs slirp4netns, which is not installed: install it (apt-get install slirp4netns), or use network: 'none'",
    );
  });
});

// A server in a network namespace this test makes, behind a veth pair: outbound traffic that
// reaches it never leaves the machine.
describe.runIf(canMakeNetworks)("a sandbox's outbound network", () => {
  const tag = `${process.pid % 100_000}`;
  const namespace = `lbx-test-${tag}`;
  const [hostSide, testSide] = [`lbxh${tag}`, `lbxn${tag}`];
  let server: ChildProcess | undefined;
  let serverUrl = "";
  let loopbackPort = 0;
  const loopback = createServer((socket) => socket.end("host loopback"));
  let bundle: TestBundle;
  let pool: ContainerPool;

  beforeAll(async () => {
    const range = unusedRange();
    if (!range) throw new Error(`Every test range is in use here: ${candidates.join(", ")}`);
    ip("netns", "add", namespace);
    ip("link", "add", hostSide, "type", "veth", "peer", "name", testSide);
    ip("link", "set", testSide, "netns", namespace);
    ip("addr", "add", `${range}.1/24`, "dev", hostSide);
    ip("link", "set", hostSide, "up");
    for (const args of [
      ["addr", "add", `${range}.2/24`, "dev", testSide],
      ["link", "set", testSide, "up"],
      ["link", "set", "lo", "up"],
    ]) {
      ip("netns", "exec", namespace, "ip", ...args);
    }
    // Before any packet: the test server's address must be reached through the test's veth.
    const [route] = JSON.parse(ip("-j", "route", "get", `${range}.2`)) as { dev: string }[];
    expect(route?.dev).toBe(hostSide);
    const script = `require("node:http").createServer((q, r) => r.end("from the test network")).listen(8080, "${range}.2", () => console.log("ready"))`;
    server = spawn("ip", ["netns", "exec", namespace, process.execPath, "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      server?.stdout?.once("data", () => resolve());
      server?.once("exit", (code) => reject(new Error(`the test server exited (${code})`)));
    });
    serverUrl = `http://${range}.2:8080/`;
    await new Promise<void>((resolve) => loopback.listen(0, "127.0.0.1", resolve));
    loopbackPort = (loopback.address() as { port: number }).port;
    bundle = await writeTestBundle();
    pool = createContainerPool({ backend: "sandbox", output: captureOutput() });
  });

  afterAll(async () => {
    await pool?.close();
    bundle?.remove();
    loopback.close();
    server?.kill();
    try {
      ip("netns", "del", namespace); // takes the veth pair with it
    } catch {}
  });

  const call = (network: NetworkMode, name: "fetchText" | "connect", ...args: unknown[]) =>
    pool.call(`${network}-${name}`, async () => bundle.spec(name, { network }), args);

  it("reaches a server on the test's own network with `outbound`, and the host's loopback stays unreachable", async () => {
    expect(await call("outbound", "fetchText", serverUrl)).toBe("from the test network");
    expect(await call("outbound", "connect", loopbackPort, "127.0.0.1")).not.toBe("connected");
    expect(await call("outbound", "connect", loopbackPort, "10.0.2.2")).not.toBe("connected");
  });

  it("reaches neither with `none`", async () => {
    expect(await call("none", "fetchText", serverUrl)).not.toBe("from the test network");
    expect(await call("none", "connect", loopbackPort, "127.0.0.1")).not.toBe("connected");
  });

  // So that the refusals above mean something: the host reaches both.
  it("the host itself reaches both", async () => {
    expect(await (await fetch(serverUrl)).text()).toBe("from the test network");
    const { createConnection } = await import("node:net");
    await new Promise<void>((resolve, reject) =>
      createConnection(loopbackPort, "127.0.0.1").once("connect", resolve).once("error", reject),
    );
  });
});
