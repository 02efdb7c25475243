import { formatTime, printJson, printTable } from "../../output.js";
import { withApi } from "../../with-api.js";

/** `lockbox audit list`: the workspace's audit log, newest first. */
export async function listAudit(options: { json?: boolean; limit?: number }): Promise<void> {
  const entries = await withApi((api) => api.audit.list({ limit: options.limit }));
  if (options.json) {
    printJson(entries);
    return;
  }
  printTable(
    ["At", "Actor", "Action", "Environment", "Secret", "Target", "Version"],
    entries.map((entry) => [
      formatTime(entry.at),
      entry.actor,
      entry.action,
      entry.environment ?? "-",
      entry.secret ?? "-",
      entry.target ?? "-",
      entry.version === null ? "-" : String(entry.version),
    ]),
  );
}
