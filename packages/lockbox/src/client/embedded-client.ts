import { userInfo } from "node:os";
import { type Actor, bindServices, openLockbox } from "@lockbox/server";
import type { ContainerBackendName } from "@lockbox/server/containers";
import type { Connection } from "./connect.js";

interface EmbeddedOptions {
  dataDir: string;
  encodedKey?: string | undefined;
  /** How deployed functions run here (`LOCKBOX_CONTAINER`); default: the sandbox where it works. */
  backend?: ContainerBackendName | undefined;
}

/** The local user's name, shown as "created by" and in the audit log. */
function localUserName(): string {
  try {
    return userInfo().username || "local";
  } catch {
    return "local"; // no passwd entry for this uid, as in some containers
  }
}

/** Embedded mode: the services in this process, on the data folder, acting as the local user (an admin). */
export async function connectEmbedded(options: EmbeddedOptions): Promise<Connection> {
  const { backend, ...source } = options;
  const lockbox = await openLockbox(source, { execution: { backend } });
  try {
    const name = localUserName();
    const workspace = await lockbox.ensureDefaultWorkspace(name);
    const actor: Actor = {
      workspaceId: workspace.id,
      name,
      tokenId: null,
      role: "admin",
      canCreateWorkspaces: true,
    };
    return { api: bindServices(lockbox, actor), close: () => lockbox.close() };
  } catch (error) {
    await lockbox.close();
    throw error;
  }
}
