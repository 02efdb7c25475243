import { readAllPages } from "@lockbox/server/shared";
import { formatTime, printJson, printTable } from "../../output.js";
import { withApi } from "../../with-api.js";

/** `lockbox environment list` */
export async function listEnvironments(options: { json?: boolean }): Promise<void> {
  const environments = await withApi((api) =>
    readAllPages(
      (limit, after: string | undefined) => api.environments.list({ limit, after }),
      (last) => last.name,
    ),
  );
  if (options.json) {
    printJson(environments);
    return;
  }
  printTable(
    ["Name", "Created at", "Created by"],
    environments.map((environment) => [
      environment.name,
      formatTime(environment.createdAt),
      environment.createdBy,
    ]),
  );
}
