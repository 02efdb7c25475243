import { readFileSync } from "node:fs";
import { Command } from "commander";
import { addAdminCommands } from "./admin-commands.js";
import { addAuditCommands } from "./audit-commands.js";
import { addEnvironmentCommands } from "./environment-commands.js";
import { addIdentityCommands } from "./identity-commands.js";
import { programHelp } from "./program-help.js";
import { addRunCommands } from "./run-commands.js";
import { addSecretCommands } from "./secret-commands.js";
import { addSettingOptions } from "./setting-options.js";
import { addTokenCommands } from "./token-commands.js";
import { addWorkspaceCommands } from "./workspace-commands.js";

function packageVersion(): string {
  const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  return (packageJson as { version: string }).version;
}

/** Commander's "error: …\n(Did you mean …?)" as one line, like every other error. */
const oneLine = (text: string) =>
  `${text
    .trim()
    .replace(/^error: /, "Error: ")
    // `--PASSWORD=hunter2` is an unknown option whose text may be a value: keep only its name.
    .replace(/(unknown option '[^'=]*)=[^']*'/, "$1=…'")
    .replace(/\s*\n\s*/g, " ")}\n`;

function addServerCommand(program: Command): void {
  const server = program
    .command("server")
    .description("Serve the data folder over HTTP, for other users and machines");
  addSettingOptions(server, "server").action(async (options) =>
    (await import("./commands/server.js")).runServer(options),
  );
}

/**
 * The `lockbox` command line. Usage errors throw `CommanderError` instead of exiting, so that
 * the entry point alone decides the exit code.
 */
export function createProgram(): Command {
  const program = new Command("lockbox")
    .description("Lockbox: secrets for serverless functions")
    .version(packageVersion())
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ outputError: (text, write) => write(oneLine(text)) })
    .addHelpText("after", programHelp);
  addServerCommand(program);
  addSecretCommands(program.command("secret").description("Manage secrets"));
  addEnvironmentCommands(program.command("environment").description("Manage environments"));
  addWorkspaceCommands(program.command("workspace").description("Manage workspaces"));
  addTokenCommands(program.command("token").description("Manage tokens"));
  addIdentityCommands(
    program
      .command("identity")
      .description("Manage workload identities (platform tokens exchanged for Lockbox tokens)"),
  );
  addAuditCommands(program.command("audit").description("Read the audit log"));
  addAdminCommands(
    program.command("admin").description("Operate the store itself (run where its data lives)"),
  );
  addRunCommands(program);
  return program;
}
