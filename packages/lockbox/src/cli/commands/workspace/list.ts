import { readAllPages } from "@lockbox/server/shared";
import { formatTime, printJson, printTable } from "../../output.js";
import { withApi } from "../../with-api.js";

/** `lockbox workspace list`: the caller's workspace, or all of them for a token that may create workspaces. */
export async function listWorkspaces(options: { json?: boolean }): Promise<void> {
  const workspaces = await withApi((api) =>
    readAllPages(
      (limit, after: string | undefined) => api.workspaces.list({ limit, after }),
      (last) => last.name,
    ),
  );
  if (options.json) {
    printJson(workspaces);
    return;
  }
  printTable(
    ["Name", "Created at"],
    workspaces.map((workspace) => [workspace.name, formatTime(workspace.createdAt)]),
  );
}
