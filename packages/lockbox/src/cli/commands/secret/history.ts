import type { VersionInfo } from "@lockbox/server";
import { quote, readAllPages } from "@lockbox/server/shared";
import { resolveEnvironment } from "../../../client/settings.js";
import { formatTime, print, printJson, printTable } from "../../output.js";
import { withApi } from "../../with-api.js";

interface SecretHistoryOptions {
  env?: string;
  json?: boolean;
}

/** `+ADDED -REMOVED ~CHANGED`, and which version a rollback restored. Key names only. */
function describeChanges(version: VersionInfo): string {
  const changes = [
    ...version.added.map((key) => `+${key}`),
    ...version.removed.map((key) => `-${key}`),
    ...version.changed.map((key) => `~${key}`),
  ];
  if (version.rollbackOf !== null) changes.unshift(`(rollback to version ${version.rollbackOf})`);
  return changes.join(" ") || "(no change)";
}

/** `lockbox secret history NAME`: who changed which keys when; never values. */
export async function secretHistory(name: string, options: SecretHistoryOptions): Promise<void> {
  const environment = resolveEnvironment(options.env);
  const versions = await withApi((api) =>
    readAllPages(
      (limit, beforeVersion: number | undefined) =>
        api.secrets.history({ environment, name, limit, beforeVersion }),
      (last) => last.version,
    ),
  );
  if (options.json) {
    printJson(versions);
    return;
  }
  print(`History of secret ${quote(name)} in environment ${quote(environment)}`, "");
  printTable(
    ["Version", "Created at", "Created by", "Changes"],
    versions.map((version) => [
      String(version.version),
      formatTime(version.createdAt),
      version.createdBy,
      describeChanges(version),
    ]),
  );
}
