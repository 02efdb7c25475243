import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindServices, databaseFileName, ensureDefaultWorkspace, openLockbox } from "@lockbox/server";
import SqliteDatabase from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { startCliServer } from "../../test-support/cli-server.js";

let dataDir = "";
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

async function post(
  url: string,
  token: string,
  path: string,
  method: string,
  body: unknown,
): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v1/environments/main${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false; // the server died before answering: not acknowledged
  }
}

describe("lockbox server under SIGKILL", () => {
  it("loses no acknowledged write and reopens cleanly", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "lockbox-crash-"));
    const token = "lbx_crash_test_bootstrap_token";
    const server = await startCliServer({ LOCKBOX_HOME: dataDir, LOCKBOX_BOOTSTRAP_TOKEN: token });
    expect(await post(server.url, token, "/secrets", "POST", { name: "shared", values: { K0: "0" } })).toBe(
      true,
    );

    const createdAcks: number[] = [];
    const updateAcks: number[] = [];
    let stop = false;
    const writer = async (lane: number) => {
      for (let i = lane; !stop; i += 8) {
        const created = post(server.url, token, "/secrets", "POST", {
          name: `s-${i}`,
          values: { VALUE: `value-${i}` },
        });
        const updated = post(server.url, token, "/secrets/shared", "PATCH", {
          set: { [`K${i + 1}`]: `${i}` },
        });
        if (await created) createdAcks.push(i);
        if (await updated) updateAcks.push(i);
      }
    };
    const lanes = Array.from({ length: 8 }, (_, lane) => writer(lane));
    // Kill mid-load, once a fair number of writes were acknowledged.
    while (createdAcks.length < 60) await new Promise((resolve) => setTimeout(resolve, 5));
    await server.kill();
    stop = true;
    await Promise.all(lanes);

    const database = new SqliteDatabase(join(dataDir, databaseFileName));
    expect(database.pragma("integrity_check", { simple: true })).toBe("ok");
    database.close();

    const lockbox = await openLockbox({ dataDir });
    try {
      const workspace = await ensureDefaultWorkspace(lockbox.store, "test");
      const api = bindServices(lockbox, {
        workspaceId: workspace.id,
        name: "test",
        tokenId: null,
        role: "admin",
        canCreateWorkspaces: true,
      });
      for (const i of createdAcks) {
        const { values } = await api.secrets.reveal({ environment: "main", name: `s-${i}` });
        expect(values).toEqual({ VALUE: `value-${i}` });
      }
      const { values: shared } = await api.secrets.reveal({ environment: "main", name: "shared" });
      for (const i of updateAcks) expect(shared[`K${i + 1}`]).toBe(`${i}`);
    } finally {
      await lockbox.close();
    }

    const restarted = await startCliServer({ LOCKBOX_HOME: dataDir });
    expect(await post(restarted.url, token, "/secrets/shared", "PATCH", { set: { AFTER: "1" } })).toBe(true);
    await restarted.stop();
  });
});
