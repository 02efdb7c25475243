import { limits } from "@lockbox/server/shared";
import { type Command, Option } from "commander";
import { wholeNumber } from "./option-parsers.js";

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
