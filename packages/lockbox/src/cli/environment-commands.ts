import type { Command } from "commander";

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
