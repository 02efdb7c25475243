import { print, printJson } from "../../output.js";
import { withApi } from "../../with-api.js";

/** `lockbox audit verify`: checks the workspace's audit chain; exit code 1 when it is broken. */
export async function verifyAudit(options: { json?: boolean }): Promise<void> {
  const result = await withApi((api) => api.audit.verify());
  if (result.problems.length > 0) process.exitCode = 1;
  if (options.json) {
    printJson(result);
    return;
  }
  if (result.problems.length > 0) {
    process.stderr.write(
      `The audit log is not intact (${result.entries} entries checked):\n${result.problems.map((p) => `  - ${p}\n`).join("")}`,
    );
    return;
  }
  print(
    `The audit log is intact: ${result.entries} entries, each linked to the one before.`,
    `Last entry: ${result.head.seq}, hash ${result.head.hash}`,
  );
}
