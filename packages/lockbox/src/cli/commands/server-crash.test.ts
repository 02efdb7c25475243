import { join } from "node:path";
import { bindServices, databaseFileName, openLockbox } from "@lockbox/server";
import { makeTempDir, removeTempDir } from "@lockbox/server/test-support";
import SqliteDatabase from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { startCliServer } from "../../test-support/cli-server.js";
import {
  acknowledged,
  expectAcknowledgedWrites,
  expectNoTornSecrets,
  sharedSecret,
  sharedSecretValues,
  startWriteLoad,
  until,
} from "../../test-support/write-load.js";

let dataDir = "";
afterEach(() => removeTempDir(dataDir));

describe("lockbox server under SIGKILL", () => {
  it("loses no acknowledged write and reopens cleanly", async () => {
    dataDir = makeTempDir("lockbox-crash-");
    const token = "lbx_crash_test_bootstrap_token";
    const server = await startCliServer({ LOCKBOX_HOME: dataDir, LOCKBOX_BOOTSTRAP_TOKEN: token });
    const secrets = "/v1/environments/main/secrets";
    expect(
      await acknowledged(server.url, token, "POST", secrets, {
        name: sharedSecret,
        values: sharedSecretValues,
      }),
    ).toBe(true);

    const load = startWriteLoad({ token, lanes: 8, urlFor: () => server.url });
    // Kill mid-load, once a fair number of writes were acknowledged.
    await until(() => load.acks.filter((ack) => ack.kind === "create").length >= 60);
    await server.kill();
    await load.stop();

    const database = new SqliteDatabase(join(dataDir, databaseFileName));
    expect(database.pragma("integrity_check", { simple: true })).toBe("ok");
    database.close();

    const lockbox = await openLockbox({ dataDir });
    try {
      const workspace = await lockbox.ensureDefaultWorkspace("test");
      const api = bindServices(lockbox, {
        workspaceId: workspace.id,
        name: "test",
        tokenId: null,
        role: "admin",
        canCreateWorkspaces: true,
      });
      const environment = "main";
      await expectAcknowledgedWrites(
        load.acks,
        async (name) => (await api.secrets.reveal({ environment, name })).values,
      );
      const checked = await expectNoTornSecrets({
        list: () => api.secrets.list({ environment, limit: 1000 }),
        history: (name) => api.secrets.history({ environment, name }),
        reveal: async (name, version) => (await api.secrets.reveal({ environment, name, version })).values,
      });
      expect(checked.secrets).toBeGreaterThanOrEqual(61);
      expect((await api.audit.verify()).problems).toEqual([]);
    } finally {
      await lockbox.close();
    }

    const restarted = await startCliServer({ LOCKBOX_HOME: dataDir });
    expect(
      await acknowledged(restarted.url, token, "PATCH", `${secrets}/${sharedSecret}`, {
        set: { AFTER: "1" },
      }),
    ).toBe(true);
    await restarted.stop();
  });
});
