import { limits } from "@lockbox/server/shared";
import { type Command, Option } from "commander";
import { wholeNumber } from "./option-parsers.js";
import { addSettingOptions } from "./setting-options.js";

/** `lockbox environment …` */
export function addEnvironmentCommands(environment: Command): void {
  environment
    .command("create")
    .description("Create an environment")
    .argument("<name>", "environment name")
    .action(async (name) => (await import("./commands/environment/create.js")).createEnvironment(name));
  environment
    .command("list")
    .description("List the environments of the workspace")
    .option("--json", "print JSON")
    .action(async (options) => (await import("./commands/environment/list.js")).listEnvironments(options));
  environment
    .command("delete")
    .description("Delete an environment and every secret in it")
    .argument("<name>", "environment name")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (name, options) =>
      (await import("./commands/environment/delete.js")).deleteEnvironment(name, options),
    );
}

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

/** `lockbox token …` */
export function addTokenCommands(token: Command): void {
  token
    .command("create")
    .description("Create a token and print its value (once)")
    .option("--role <role>", "admin, developer, invoker or viewer (default: developer)")
    .option("--workspace <name>", "workspace of the token (default: yours)")
    .option("-e, --env <name>", "limit the token to this environment (default: every environment)")
    // The name this option had first, kept working for scripts written then.
    .addOption(new Option("--environment <name>").hideHelp())
    .option("--name <name>", "a name to recognise the token by")
    .option(
      "--expires-in <seconds>",
      "lifetime in seconds (default: no expiry)",
      wholeNumber(1, limits.tokenMaxLifetimeSeconds),
    )
    .option("--json", "print JSON")
    .action(async (options) => (await import("./commands/token/create.js")).createToken(options));
  token
    .command("list")
    .description("List the tokens of the workspace (never their values)")
    .option("--json", "print JSON")
    .action(async (options) => (await import("./commands/token/list.js")).listTokens(options));
  token
    .command("revoke")
    .description("Revoke a token")
    .argument("<id>", "token id, as in `lockbox token list`")
    .action(async (id) => (await import("./commands/token/revoke.js")).revokeToken(id));
}

/** `lockbox audit …` */
export function addAuditCommands(audit: Command): void {
  audit
    .command("list")
    .description("List the audit log, newest first")
    .option("--limit <count>", "how many entries (at most 1000)", wholeNumber(1, 1000), 100)
    .option("--json", "print JSON")
    .action(async (options) => (await import("./commands/audit/list.js")).listAudit(options));
  audit
    .command("verify")
    .description("Check the audit log's hash chain: no entry removed, changed or added")
    .option("--json", "print JSON")
    .action(async (options) => (await import("./commands/audit/verify.js")).verifyAudit(options));
}

/** `lockbox admin …`: the store itself, on its data folder or database, not through a server. */
export function addAdminCommands(admin: Command): void {
  const rotate = admin
    .command("rotate-master-key")
    .description(
      "Re-wrap every data key under a new master key while servers keep serving (with the key file: a new key is made)",
    );
  addSettingOptions(rotate, "admin")
    .option("--batch-size <count>", "data keys re-wrapped per transaction", wholeNumber(1, 10_000), 500)
    .action(async (options) =>
      (await import("./commands/admin/rotate-master-key.js")).rotateMasterKey(options),
    );
}
