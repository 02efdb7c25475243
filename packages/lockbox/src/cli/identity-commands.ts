import { identityTtl, roles } from "@lockbox/server/shared";
import { type Command, Option } from "commander";
import { collect, durationSeconds } from "./option-parsers.js";

/** `lockbox identity …` */
export function addIdentityCommands(identity: Command): void {
  identity
    .command("create")
    .description(
      "Create a workload identity: platform tokens that POST /v1/auth/oidc exchanges for a Lockbox token",
    )
    .argument("<name>", "identity name")
    .requiredOption("--issuer <url>", "the platform's issuer (`iss`): https, or http on a loopback address")
    .requiredOption("--audience <aud>", "the audience (`aud`) the platform's token must name")
    .requiredOption(
      "--subject <pattern>",
      "the subject (`sub`): exact, or with '*' matching within one ':'-separated segment",
    )
    .option("--claim <key=value>", "a claim the token must hold with this value (repeatable)", collect, [])
    .addOption(
      new Option("--role <role>", "role of the Lockbox tokens it gets").choices(roles).makeOptionMandatory(),
    )
    .option("-e, --env <name>", "limit its tokens to this environment (default: every environment)")
    .option(
      "--ttl <duration>",
      "lifetime of its Lockbox tokens, from 1m to 1h (default: 15m)",
      durationSeconds(identityTtl.minSeconds, identityTtl.maxSeconds),
    )
    .option("--json", "print JSON")
    .action(async (name, options) =>
      (await import("./commands/identity/create.js")).createIdentity(name, options),
    );
  identity
    .command("list")
    .description("List the workload identities of the workspace")
    .option("--json", "print JSON")
    .action(async (options) => (await import("./commands/identity/list.js")).listIdentities(options));
  identity
    .command("show")
    .description("Show a workload identity")
    .argument("<name>", "identity name")
    .option("--json", "print JSON")
    .action(async (name, options) =>
      (await import("./commands/identity/show.js")).showIdentity(name, options),
    );
  identity
    .command("delete")
    .description("Delete a workload identity (tokens it already gave keep working until they expire)")
    .argument("<name>", "identity name")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (name, options) =>
      (await import("./commands/identity/delete.js")).deleteIdentity(name, options),
    );
}
