import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import {
  addAdminCommands,
  addAuditCommands,
  addEnvironmentCommands,
  addTokenCommands,
  addWorkspaceCommands,
} from "./admin-commands.js";
import { wholeNumber } from "./option-parsers.js";
import { programHelp } from "./program-help.js";
import { addRunCommands } from "./run-commands.js";
import { addSecretCommands } from "./secret-commands.js";

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
  program
    .command("server")
    .description("Serve the data folder over HTTP, for other users and machines")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", wholeNumber(0, 65_535), 7420)
    .option("--data-dir <dir>", "data folder (default: LOCKBOX_HOME, else ~/.lockbox)")
    .addOption(
      new Option(
        "--database-url <url>",
        "store everything in PostgreSQL (default: SQLite in the data folder)",
      ).env("LOCKBOX_DATABASE_URL"),
    )
    .addOption(
      new Option("--database-replica-url <url>", "a read replica of it, for listings and history").env(
        "LOCKBOX_DATABASE_REPLICA_URL",
      ),
    )
    .addOption(
      new Option("--database-max-connections <count>", "connections to PostgreSQL at most, per database")
        .env("LOCKBOX_DATABASE_MAX_CONNECTIONS")
        .argParser(wholeNumber(1, 1000)),
    )
    .addOption(
      new Option(
        "--max-containers <count>",
        "containers of function calls at most, starting, busy or idle (default: 4 a core, at most as many as fit in 3/4 of the memory at 512 MiB each)",
      )
        .env("LOCKBOX_MAX_CONTAINERS")
        .argParser(wholeNumber(1, 100_000)),
    )
    .addOption(
      new Option(
        "--max-queued-calls <count>",
        "calls that may wait for a container, one workspace's at most half; past it, 429 (default: 4 × max-containers)",
      )
        .env("LOCKBOX_MAX_QUEUED_CALLS")
        .argParser(wholeNumber(1, 1_000_000)),
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "log lines: pretty (readable) or json (default: pretty on a terminal, else json)",
      ).env("LOCKBOX_LOG_FORMAT"),
    )
    .addOption(
      new Option(
        "--metrics-port <port>",
        "serve /metrics for Prometheus on this port of its own, not the API's (0: any free port; default: no metrics)",
      )
        .env("LOCKBOX_METRICS_PORT")
        .argParser(wholeNumber(0, 65_535)),
    )
    .addOption(
      new Option("--metrics-host <host>", "address of the metrics port")
        .env("LOCKBOX_METRICS_HOST")
        .default("127.0.0.1"),
    )
    .action(async (options) => (await import("./commands/server.js")).runServer(options));
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
  addAuditCommands(program.command("audit").description("Read the audit log"));
  addAdminCommands(
    program.command("admin").description("Operate the store itself (run where its data lives)"),
  );
  addRunCommands(program);
  return program;
}
