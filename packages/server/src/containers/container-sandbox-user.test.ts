import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestBundle, type TestFunction, writeTestBundle } from "../test-support/container-bundle.js";
import { findExecutable } from "./container-backend.js";
import type { ContainerSpec } from "./container-types.js";

// Runs a container pool as an ordinary user: the compiled containers module, copied where that
// user can read it, runs each call and says what it returned, and which processes named a marker
// were left once the call ended.
const driver = `
import { readdirSync, readFileSync } from "node:fs";
import { createContainerPool } from "./dist/containers/index.js";
// The orphans a function started: sleep or sh processes whose arguments name the marker.
const left = (marker) => readdirSync("/proc").filter((pid) => {
  try {
    const argv = readFileSync("/proc/" + pid + "/cmdline", "latin1").split("\\0");
    const zombie = readFileSync("/proc/" + pid + "/stat", "latin1").includes(") Z");
    return /^\\d+$/.test(pid) && ["sleep", "sh"].includes(argv[0]) && argv.includes(marker) && !zombie;
  } catch { return false; }
});
const pool = createContainerPool({ backend: "sandbox", output: { stdout: process.stderr, stderr: process.stderr } });
const results = [];
for (const { spec, args, marker } of JSON.parse(process.argv[2])) {
  const result = await pool.call(JSON.stringify(spec), async () => spec, args).catch((error) => ({ error: error.message }));
  results.push(marker ? { result, left: left(marker) } : result);
}
await pool.close();
console.log(JSON.stringify(results));
`;

const user = `lbxtest${process.pid % 100_000}`;
const canMakeUsers = process.getuid?.() === 0 && findExecutable("useradd") !== undefined;

describe.runIf(canMakeUsers)("sandbox backend, run by an ordinary user", () => {
  let dir: string;
  let bundle: TestBundle;
  const loopback = createServer((socket) => socket.end());
  const unix = createServer((socket) => socket.end());
  const abstract = createServer((socket) => socket.end());
  const abstractName = `\0lockbox-user-test-${process.pid}`;
  let port = 0;

  beforeAll(async () => {
    execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user]);
    dir = mkdtempSync(join(tmpdir(), "lockbox-user-"));
    chmodSync(dir, 0o755);
    const dist = fileURLToPath(new URL("../../dist", import.meta.url));
    for (const part of ["containers", "shared"])
      cpSync(join(dist, part), join(dir, "dist", part), { recursive: true });
    writeFileSync(join(dir, "driver.mjs"), driver);
    execFileSync("chmod", ["-R", "a+rX", dir]);
    // The user's own Lockbox data folders, private as Lockbox makes them, both under /tmp.
    for (const data of ["home", "server-data"]) {
      mkdirSync(join(dir, data), { mode: 0o700 });
      writeFileSync(join(dir, data, "master.key"), "not for functions", { mode: 0o600 });
    }
    execFileSync("chown", ["-R", `${user}:`, join(dir, "home"), join(dir, "server-data")]);
    bundle = await writeTestBundle();
    await new Promise<void>((resolve) => loopback.listen(0, "127.0.0.1", resolve));
    port = (loopback.address() as { port: number }).port;
    await new Promise<void>((resolve) => unix.listen(join(dir, "agent.sock"), resolve));
    chmodSync(join(dir, "agent.sock"), 0o777);
    await new Promise<void>((resolve) => abstract.listen(abstractName, resolve));
    mkdirSync(join("/srv", `lockbox-user-test-${process.pid}`), { recursive: true, mode: 0o755 });
    writeFileSync(join("/srv", `lockbox-user-test-${process.pid}`, "notes"), "not for functions", {
      mode: 0o644,
    });
  });

  afterAll(() => {
    for (const server of [loopback, unix, abstract]) server.close();
    rmSync(join("/srv", `lockbox-user-test-${process.pid}`), { recursive: true, force: true });
    bundle?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
    spawnSync("userdel", [user]);
  });

  interface Step {
    name: TestFunction;
    args: unknown[];
    spec?: Partial<ContainerSpec>;
    marker?: string;
  }

  const runAsUser = (steps: Step[]): unknown[] => {
    const calls = steps.map(({ name, args, spec, marker }) => ({
      spec: bundle.spec(name, spec),
      args,
      marker,
    }));
    const output = execFileSync(
      "runuser",
      ["-u", user, "--", process.execPath, "driver.mjs", JSON.stringify(calls)],
      {
        cwd: dir,
        encoding: "utf8",
        env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
        timeout: 60_000,
      },
    );
    return JSON.parse(output) as unknown[];
  };

  it("shows the function nothing of the user's files, data folders, loopback or processes", () => {
    const marker = `7${process.pid}4`;
    const [who, home, server, srv, tcp, socket, abstractSocket, tmp, orphans] = runAsUser([
      { name: "whoami", args: [] },
      { name: "tryRead", args: [join(dir, "home", "master.key")] },
      { name: "tryRead", args: [join(dir, "server-data", "master.key")] },
      { name: "tryRead", args: [join("/srv", `lockbox-user-test-${process.pid}`, "notes")] },
      { name: "connect", args: [port, "127.0.0.1"], spec: { network: "outbound" } },
      { name: "connect", args: [join(dir, "agent.sock")] },
      { name: "connect", args: [abstractName] },
      { name: "fillTmp", args: [24], spec: { tmpMb: 8 } },
      { name: "spawnOrphans", args: [marker], marker },
    ]);
    expect(who).toMatchObject({ uid: 65534 });
    expect(home).toBe("ENOENT");
    expect(server).toBe("ENOENT");
    expect(srv).toBe("ENOENT");
    expect(tcp).not.toBe("connected");
    expect(socket).toBe("ENOENT");
    expect(abstractSocket).not.toBe("connected");
    expect((tmp as { written: number }).written).toBeLessThanOrEqual(8);
    expect(orphans).toEqual({ left: [] });
  });

  // So that the test above means something: the user itself reads its data folders and /srv.
  it("the user itself reads them", () => {
    for (const file of [
      join(dir, "home", "master.key"),
      join("/srv", `lockbox-user-test-${process.pid}`, "notes"),
    ]) {
      const read = spawnSync("runuser", ["-u", user, "--", "cat", file], { encoding: "utf8" });
      expect(read.stdout).toBe("not for functions");
    }
  });
});
