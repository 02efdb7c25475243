import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Lockbox, openLockbox } from "../lockbox.js";
import type { Actor } from "../services/actor.js";
import { ensureDefaultWorkspace } from "../services/workspace-service.js";
import type { Role } from "../shared/rules.js";

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
  services: Lockbox["services"];
  workspaceId: string;
  /** An admin of the `default` workspace. */
  admin: Actor;
  /** Closes the Lockbox (once); the data folder stays. */
  close(): Promise<void>;
  /** Closes the Lockbox and removes the data folder. */
  dispose(): Promise<void>;
}

/** Opens a Lockbox on a real SQLite file in `dataDir` (default: a new temp folder) with its `default` workspace. */
export async function openTempLockbox(
  options: { dataDir?: string; encodedKey?: string } = {},
): Promise<TempLockbox> {
  const dataDir = options.dataDir ?? makeTempDir();
  const lockbox = await openLockbox({ dataDir, encodedKey: options.encodedKey });
  const workspace = await ensureDefaultWorkspace(lockbox.store, "test");
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await lockbox.close();
  };
  return {
    dataDir,
    lockbox,
    services: lockbox.services,
    workspaceId: workspace.id,
    admin: testActor(workspace.id, "admin"),
    close,
    async dispose() {
      await close();
      removeTempDir(dataDir);
    },
  };
}
