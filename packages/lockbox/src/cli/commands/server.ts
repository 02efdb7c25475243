import { type ServerOptions, startServer } from "@lockbox/server/http";
import { lockboxHome } from "../../client/settings.js";
import { containerSdkFile } from "../../sdk/bundle.js";
import { print } from "../output.js";

export interface ServerCommandOptions {
  host: string;
  port: number;
  dataDir?: string;
  databaseUrl?: string;
  databaseReplicaUrl?: string;
  databaseMaxConnections?: number;
  maxContainers?: number;
  maxQueuedCalls?: number;
  logFormat?: string;
  metricsPort?: number;
  metricsHost?: string;
}

function signInHint(url: string, bootstrapToken: string | undefined): string[] {
  if (bootstrapToken === undefined) {
    return [
      "Sign in with an existing token (the admin token printed on the first start, or LOCKBOX_BOOTSTRAP_TOKEN):",
      `  export LOCKBOX_SERVER_URL=${url} LOCKBOX_TOKEN=<your token>`,
    ];
  }
  return [
    `Admin token (shown once, keep it safe): ${bootstrapToken}`,
    "Sign in from a shell with:",
    `  export LOCKBOX_SERVER_URL=${url} LOCKBOX_TOKEN=${bootstrapToken}`,
  ];
}

function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
}

/** `lockbox server`: serves the data folder over HTTP until SIGINT or SIGTERM. */
export async function runServer(options: ServerCommandOptions): Promise<void> {
  const server = await startServer({
    host: options.host,
    port: options.port,
    dataDir: options.dataDir || lockboxHome(),
    databaseUrl: options.databaseUrl || undefined,
    databaseReplicaUrl: options.databaseReplicaUrl || undefined,
    databaseMaxConnections: options.databaseMaxConnections,
    maxContainers: options.maxContainers,
    maxQueuedCalls: options.maxQueuedCalls,
    metricsPort: options.metricsPort,
    metricsHost: options.metricsHost || undefined,
    encodedKey: process.env.LOCKBOX_MASTER_KEY || undefined,
    // Deployed functions called through the server import this SDK's container build.
    containerSdkFile: containerSdkFile(),
    bootstrapToken: process.env.LOCKBOX_BOOTSTRAP_TOKEN || undefined,
    // The server checks the level and names the allowed ones when it is wrong.
    logLevel: (process.env.LOCKBOX_LOG_LEVEL || undefined) as ServerOptions["logLevel"],
    // Likewise the format; JSON when the lines go to a pipe or a file, for a log collector.
    logFormat: (options.logFormat ||
      (process.stdout.isTTY ? "pretty" : "json")) as ServerOptions["logFormat"],
  });
  // Listen for the signals before saying where we listen: a caller may stop us right away.
  const stopped = untilStopped();
  print(
    `Lockbox listening on ${server.url}`,
    ...signInHint(server.url, server.bootstrapToken),
    `or open the dashboard at ${server.url}/ and sign in with the token there.`,
    ...(server.metricsUrl ? [`Metrics for Prometheus at ${server.metricsUrl}`] : []),
  );
  const signal = await stopped;
  process.stderr.write(`Received ${signal}, stopping\n`);
  await server.close();
}
