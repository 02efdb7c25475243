import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { masterKeyFileName, openLockbox } from "@lockbox/server";
import { callApi } from "@lockbox/server/test-support";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CliServer, startCliServer } from "../../../test-support/cli-server.js";
import { cleanEnv, cliPath, runCli, tempDir } from "../../../test-support/run-cli.js";

const token = "lbx_rotation_test_bootstrap_token";
const secrets = "/v1/environments/main/secrets";
let home: ReturnType<typeof tempDir>;
let server: CliServer | undefined;

beforeEach(() => {
  home = tempDir("lockbox-rotate-");
});
afterEach(async () => {
  await server?.kill();
  home.remove();
});

const keyFileLines = () => readFileSync(join(home.path, masterKeyFileName), "utf8").trim().split("\n");

/** 100 secrets of 3 versions each, written in this process on the data folder. */
async function fill(): Promise<void> {
  const lockbox = await openLockbox({ dataDir: home.path });
  try {
    const workspace = await lockbox.ensureDefaultWorkspace("test");
    const admin = {
      workspaceId: workspace.id,
      name: "test",
      tokenId: null,
      role: "admin" as const,
      canCreateWorkspaces: false,
    };
    for (let i = 0; i < 100; i++) {
      const ref = { environment: "main", name: `s${i}` };
      await lockbox.services.secrets.create(admin, { ...ref, values: { V: `rotate-${i}-1` } });
      await lockbox.services.secrets.update(admin, { ...ref, set: { V: `rotate-${i}-2` } });
      await lockbox.services.secrets.update(admin, { ...ref, set: { V: `rotate-${i}-3` } });
    }
  } finally {
    await lockbox.close();
  }
}

/** Starts the rotation and kills it with SIGKILL once it has re-wrapped its first batch. */
function rotateAndKill(): Promise<void> {
  const child = spawn(process.execPath, [cliPath, "admin", "rotate-master-key", "--batch-size", "1"], {
    env: cleanEnv({ LOCKBOX_HOME: home.path }),
  });
  return new Promise((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("Re-wrapped")) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("exit", (_code, signal) =>
      signal === "SIGKILL" ? resolve() : reject(new Error("the rotation ended before it was killed")),
    );
  });
}

const reveal = async (name: string) =>
  (await callApi(server?.url ?? "", "GET", `${secrets}/${name}/values`, { token })).body.values;

describe("lockbox admin rotate-master-key", () => {
  it("re-wraps under a new key file while the server serves, and resumes after a kill", async () => {
    await fill();
    const [oldKey] = keyFileLines();
    server = await startCliServer({ LOCKBOX_HOME: home.path, LOCKBOX_BOOTSTRAP_TOKEN: token });

    await rotateAndKill();
    expect(keyFileLines()).toHaveLength(2); // new, then old: the server can read either
    expect(keyFileLines()[1]).toBe(oldKey);
    expect(await reveal("s0")).toEqual({ V: "rotate-0-3" });

    const resumed = await runCli(["admin", "rotate-master-key"], { env: { LOCKBOX_HOME: home.path } });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(
      /^Re-wrapped \d+ data keys under master key [0-9a-f]{16}; the old master key is retired\.\n/,
    );
    const [newKey, ...rest] = keyFileLines();
    expect(rest).toEqual([]);
    expect(newKey).not.toBe(oldKey);

    // The server, still running, reads old versions and writes new ones.
    expect(await reveal("s99")).toEqual({ V: "rotate-99-3" });
    const version1 = await callApi(server.url, "GET", `${secrets}/s5/values?version=1`, { token });
    expect(version1.body.values).toEqual({ V: "rotate-5-1" });
    expect(
      (await callApi(server.url, "PATCH", `${secrets}/s1`, { token, body: { set: { W: "after" } } })).status,
    ).toBe(200);
    expect(await server.stop()).toBe(0);

    // The old key no longer opens the store.
    const withOldKey = await runCli(["secret", "list"], {
      env: { LOCKBOX_HOME: home.path, LOCKBOX_MASTER_KEY: oldKey ?? "" },
    });
    expect(withOldKey.code).toBe(1);
    expect(withOldKey.stderr).toMatch(/is not the key this store was set up with or rotated to/);
    expect(
      (await runCli(["secret", "show", "s1", "--reveal", "--json"], { env: { LOCKBOX_HOME: home.path } }))
        .code,
    ).toBe(0);
  });

  it("exits 2 when LOCKBOX_MASTER_KEY holds no new key to rotate to", async () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    const result = await runCli(["admin", "rotate-master-key"], {
      env: { LOCKBOX_HOME: home.path, LOCKBOX_MASTER_KEY: key },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Error: LOCKBOX_MASTER_KEY holds one key: put the new master key first/);
    expect(result.stderr).not.toContain(key);
  });
});
