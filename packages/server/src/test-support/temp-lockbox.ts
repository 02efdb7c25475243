import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Lockbox, openLockboxWithStore } from "../lockbox.js";
import type { Actor } from "../services/actor.js";
import type { Role } from "../shared/rules.js";
import type { Store } from "../store/store.js";
import { dropTestDatabase, testDatabaseUrl } from "./test-database.js";

/** A fresh, empty folder under the system temp dir; remove it with `removeTempDir`. */
export function makeTempDir(prefix = "lockbox-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** An actor of `workspaceId` with `role`, as an authenticated token would give. */
export function testActor(workspaceId: string, role: Role = "admin", name = `test ${role}`): Actor {
  return { workspaceId, name, tokenId: null, role, canCreateWorkspaces: false };
}

export interface TempLockbox {
  dataDir: string;
  lockbox: Lockbox;
  /** The store under `lockbox`, for tests that check or write what the services would not. */
  store: Store;
  services: Lockbox["services"];
  workspaceId: string;
  /** An admin of the `default` workspace. */
  admin: Actor;
  /** Closes the Lockbox (once); the data folder stays. */
  close(): Promise<void>;
  /** Closes the Lockbox and removes the data folder (and its PostgreSQL database). */
  dispose(): Promise<void>;
}

/**
 * Opens a Lockbox on a real SQLite file in `dataDir` (default: a new temp folder) with its
 * `default` workspace; in the `postgres` test project, on a fresh PostgreSQL database instead
 * (shared by every Lockbox opened on the same `dataDir`), or on `databaseUrl` when given.
 */
export async function openTempLockbox(
  options: { dataDir?: string; encodedKey?: string; databaseUrl?: string } = {},
): Promise<TempLockbox> {
  const dataDir = options.dataDir ?? makeTempDir();
  const databaseUrl = options.databaseUrl ?? (await testDatabaseUrl(dataDir));
  const { lockbox, store } = await openLockboxWithStore({
    dataDir,
    encodedKey: options.encodedKey,
    databaseUrl,
  });
  const workspace = await lockbox.ensureDefaultWorkspace("test");
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await lockbox.close();
  };
  return {
    dataDir,
    lockbox,
    store,
    services: lockbox.services,
    workspaceId: workspace.id,
    admin: testActor(workspace.id, "admin"),
    close,
    async dispose() {
      await close();
      await dropTestDatabase(dataDir);
      removeTempDir(dataDir);
    },
  };
}
