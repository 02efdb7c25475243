import { quote } from "@lockbox/server/shared";
import { print } from "../../output.js";
import { withApi } from "../../with-api.js";

/** `lockbox workspace create NAME`: prints the new workspace's admin token, once. */
export async function createWorkspace(name: string): Promise<void> {
  const { workspace, adminToken } = await withApi((api) => api.workspaces.create(name));
  print(
    `Created workspace ${quote(workspace.name)}`,
    `Admin token for it (shown once, keep it safe): ${adminToken}`,
  );
}
