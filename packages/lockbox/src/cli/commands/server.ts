import { parseConfig } from "@lockbox/server/config";
import { containerSdkFile } from "../../sdk/bundle.js";
import { print } from "../output.js";
import { settingOptions } from "../setting-options.js";

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
export async function runServer(options: Record<string, unknown>): Promise<void> {
  const config = parseConfig("server", { options: settingOptions("server", options), env: process.env });
  // Loaded once the settings are known to be good: a mistake is answered before any of the server loads.
  const { startServer } = await import("@lockbox/server/http");
  // Deployed functions called through the server import this SDK's container build.
  const server = await startServer(config, { containerSdkFile: containerSdkFile() });
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
