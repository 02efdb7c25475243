import type { Command } from "commander";
import { wholeNumber } from "./option-parsers.js";
import { addSettingOptions } from "./setting-options.js";

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
