import type { Command } from "commander";
import { wholeNumber } from "./option-parsers.js";

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
