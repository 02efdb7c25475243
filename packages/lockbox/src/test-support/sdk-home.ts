import { closeClient } from "../sdk/client.js";
import { tempDir } from "./run-cli.js";

const variables = ["LOCKBOX_HOME", "LOCKBOX_SERVER_URL", "LOCKBOX_TOKEN", "LOCKBOX_ENVIRONMENT"] as const;

/**
 * Points the SDK of this test process at a fresh embedded Lockbox (its own LOCKBOX_HOME); the
 * returned function closes the SDK's connection, removes the folder and restores the variables.
 */
export function useTempHome(): { path: string; restore(): Promise<void> } {
  const saved = Object.fromEntries(variables.map((name) => [name, process.env[name]]));
  const home = tempDir("lockbox-sdk-");
  for (const name of variables) delete process.env[name];
  process.env.LOCKBOX_HOME = home.path;
  return {
    path: home.path,
    async restore() {
      await closeClient();
      home.remove();
      for (const name of variables) {
        const value = saved[name];
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}
