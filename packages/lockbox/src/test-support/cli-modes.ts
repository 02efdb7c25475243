import { startCliServer } from "./cli-server.js";
import { type CliResult, type RunCliOptions, runCli, tempDir } from "./run-cli.js";

/** A Lockbox to run the CLI against: its own data folder, embedded or behind `lockbox server`. */
export interface CliTarget {
  run(args: string[], options?: RunCliOptions): Promise<CliResult>;
  /** The data folder holding the database and the master key. */
  dataDir: string;
  /** What the server logged (empty in embedded mode). */
  serverOutput(): string;
  stop(): Promise<void>;
}

export interface CliMode {
  name: "embedded" | "server";
  start(): Promise<CliTarget>;
}

// At least 16 characters, as the server requires of a bootstrap token.
export const bootstrapToken = "lbx_test_bootstrap_token_0123456789";

const target = (env: Record<string, string>, rest: Omit<CliTarget, "run">): CliTarget => ({
  run: (args, options = {}) => runCli(args, { ...options, env: { ...env, ...options.env } }),
  ...rest,
});

const embedded: CliMode = {
  name: "embedded",
  async start() {
    const home = tempDir("lockbox-cli-");
    return target(
      { LOCKBOX_HOME: home.path },
      { dataDir: home.path, serverOutput: () => "", stop: async () => home.remove() },
    );
  },
};

const server: CliMode = {
  name: "server",
  async start() {
    const data = tempDir("lockbox-server-");
    const client = tempDir("lockbox-client-");
    const running = await startCliServer({
      LOCKBOX_HOME: data.path,
      LOCKBOX_BOOTSTRAP_TOKEN: bootstrapToken,
    });
    const env = { LOCKBOX_HOME: client.path, LOCKBOX_SERVER_URL: running.url, LOCKBOX_TOKEN: bootstrapToken };
    return target(env, {
      dataDir: data.path,
      serverOutput: running.output,
      async stop() {
        await running.stop();
        data.remove();
        client.remove();
      },
    });
  },
};

/** Both modes of DESIGN.md §4, for `describe.each`. */
export const cliModes: CliMode[] = [embedded, server];
