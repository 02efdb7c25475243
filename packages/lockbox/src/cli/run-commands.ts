import type { Command } from "commander";
import { collect, environmentOption } from "./option-parsers.js";

/** `lockbox run`, `deploy` and `exec`: code that runs with secrets. */
export function addRunCommands(program: Command): void {
  program
    .command("run")
    .description("Run FILE.ts::FUNCTION in a container, or FILE.ts's local entrypoint here")
    .argument("<target>", "FILE.ts or FILE.ts::FUNCTION")
    .argument("[args...]", "arguments for the function, after --")
    .addOption(environmentOption())
    .option("--no-mask", "do not replace secret values in the output with ***")
    .passThroughOptions()
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
