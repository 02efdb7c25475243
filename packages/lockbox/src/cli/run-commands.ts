import type { Command } from "commander";
import { collect, environmentOption } from "./option-parsers.js";

const runHelp = `
Options go before --; what follows -- is passed to the function as given.
FILE.ts::FUNCTION prints the function's return value on stdout as JSON (objects
and arrays indented, a string in quotes, nothing for undefined), every secret
value replaced by *** as in its output. FILE.ts runs the function marked with
app.localEntrypoint(fn) here, and prints nothing itself; a file whose code never
calls app.localEntrypoint is refused before any of it runs.

Examples:
  $ lockbox run app.ts::someFunction
  $ lockbox run app.ts::greet -e staging -- Ada         # greet("Ada")
  $ lockbox run app.ts::add --json-args -- 1 '{"b":2}'  # add(1, { b: 2 })
  $ lockbox run app.ts -- first second                  # the local entrypoint`;

/** `lockbox run`, `deploy` and `exec`: code that runs with secrets. */
export function addRunCommands(program: Command): void {
  program
    .command("run")
    .description(
      "Run FILE.ts::FUNCTION in a container and print what it returns, or FILE.ts's local entrypoint here",
    )
    .argument("<target>", "FILE.ts or FILE.ts::FUNCTION")
    .argument("[args...]", "arguments for the function, after --: passed as strings unless --json-args")
    .addOption(environmentOption())
    .option("--no-mask", "do not replace secret values in the output (and the result) with ***")
    .option(
      "--json-args",
      "parse each argument as JSON (42, true, '\"text\"', '{\"a\":1}') instead of passing strings",
    )
    .option(
      "--local",
      "with LOCKBOX_SERVER_URL: run the functions (the module's and deployed ones) in containers here, with secrets your token reads, not on the server",
    )
    .addHelpText("after", runHelp)
    .action(async (target, args, options) =>
      (await import("./commands/run.js")).runTarget(target, args, options),
    );

  program
    .command("deploy")
    .description("Deploy the named apps of FILE.ts, for RemoteFunction.fromName")
    .argument("<file>", "the app's module")
    .addOption(environmentOption())
    .action(async (file, options) => (await import("./commands/deploy.js")).deployTarget(file, options));

  program
    .command("exec")
    .description("Run a local command with secrets in its environment, its output masked")
    .argument("<command...>", "the command and its arguments, after --")
    .option("--secret <name>", "a secret to add (repeat for more; later ones win)", collect)
    .option("--from-dotenv <path>", "add the keys of a .env file (after the secrets)")
    .addOption(environmentOption())
    .option("--no-mask", "do not replace secret values in the output with ***")
    .passThroughOptions()
    .action(async (command, options) => (await import("./commands/exec.js")).execCommand(command, options));
}
