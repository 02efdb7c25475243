import type { Command } from "commander";

/** `lockbox workspace …` */
export function addWorkspaceCommands(workspace: Command): void {
  workspace
    .command("create")
    .description("Create a workspace and print its admin token (once)")
    .argument("<name>", "workspace name")
    .action(async (name) => (await import("./commands/workspace/create.js")).createWorkspace(name));
  workspace
    .command("list")
    .description("List the workspaces you can see")
    .option("--json", "print JSON")
    .action(async (options) => (await import("./commands/workspace/list.js")).listWorkspaces(options));
}
