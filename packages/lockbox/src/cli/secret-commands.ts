import type { Command } from "commander";
import { collect, environmentOption } from "./option-parsers.js";

/** `lockbox secret …`; each command's code loads only when it runs. */
export function addSecretCommands(secret: Command): void {
  secret
    .command("create")
    .description("Create a new secret from KEY=VALUE pairs (KEY=- reads the value from standard input)")
    .argument("<name>", "secret name")
    .argument("[pairs...]", "KEY=VALUE pairs")
    .addOption(environmentOption())
    .option("--from-dotenv <path>", "add the keys of a .env file")
    .option("--from-json <path>", "add the keys of a JSON object of strings")
    .option("--force", "replace the secret if it already exists")
    .action(async (name, pairs, options) =>
      (await import("./commands/secret/create.js")).createSecret(name, pairs, options),
    );

  secret
    .command("list")
    .description("List the secrets of an environment, newest first")
    .addOption(environmentOption())
    .option("--json", "print JSON")
    .action(async (options) => (await import("./commands/secret/list.js")).listSecrets(options));

  secret
    .command("show")
    .description("Show a secret's keys and version; its values only with --reveal")
    .argument("<name>", "secret name")
    .addOption(environmentOption())
    .option("--reveal", "also print the values")
    .option("--json", "print JSON")
    .action(async (name, options) => (await import("./commands/secret/show.js")).showSecret(name, options));

  secret
    .command("update")
    .description("Set keys of a secret (merging with its current keys) or remove them")
    .argument("<name>", "secret name")
    .argument("[pairs...]", "KEY=VALUE pairs to set")
    .addOption(environmentOption())
    .option("--unset <key>", "remove a key (repeatable)", collect)
    .action(async (name, pairs, options) =>
      (await import("./commands/secret/update.js")).updateSecret(name, pairs, options),
    );

  secret
    .command("delete")
    .description("Delete a secret and its history")
    .argument("<name>", "secret name")
    .addOption(environmentOption())
    .option("-y, --yes", "do not ask for confirmation")
    .option("--allow-missing", "do not fail if the secret does not exist")
    .action(async (name, options) =>
      (await import("./commands/secret/delete.js")).deleteSecret(name, options),
    );

  secret
    .command("history")
    .description("List a secret's versions: when, who, and which keys changed")
    .argument("<name>", "secret name")
    .addOption(environmentOption())
    .option("--json", "print JSON")
    .action(async (name, options) =>
      (await import("./commands/secret/history.js")).secretHistory(name, options),
    );

  secret
    .command("rollback")
    .description("Make a new version of a secret equal to an old version")
    .argument("<name>", "secret name")
    .argument("<version>", "version to restore")
    .addOption(environmentOption())
    .action(async (name, version, options) =>
      (await import("./commands/secret/rollback.js")).rollbackSecret(name, version, options),
    );

  secret
    .command("export")
    .description("Print a secret's values as a .env file, JSON, or a Kubernetes Secret manifest")
    .argument("<name>", "secret name")
    .addOption(environmentOption())
    .option("--format <format>", "dotenv, json or k8s", "dotenv")
    .option("--name <name>", "with k8s: metadata.name, instead of one derived from the secret's name")
    .action(async (name, options) =>
      (await import("./commands/secret/export.js")).exportSecret(name, options),
    );
}
