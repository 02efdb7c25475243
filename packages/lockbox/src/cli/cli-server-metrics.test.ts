import { afterAll, describe, expect, it } from "vitest";
import { startCliServer } from "../test-support/cli-server.js";
import { runCli, tempDir } from "../test-support/run-cli.js";

describe("lockbox server's metrics port", () => {
  const home = tempDir("lockbox-metrics-");
  afterAll(() => home.remove());

  it("serves /metrics on its own loopback port with LOCKBOX_METRICS_PORT, until the server stops", async () => {
    const server = await startCliServer({ LOCKBOX_HOME: home.path, LOCKBOX_METRICS_PORT: "0" });
    const [, url = ""] = await server.waitForOutput(/^Metrics for Prometheus at (\S+)$/m);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scraped = await fetch(url);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain("lockbox_http_request_duration_seconds");
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect(await server.stop()).toBe(0);
    await expect(fetch(url)).rejects.toThrow(/fetch failed/);
  });

  it("serves none without it", async () => {
    const server = await startCliServer({ LOCKBOX_HOME: home.path });
    expect(await server.stop()).toBe(0);
    expect(server.output()).not.toContain("Metrics");
  });

  it("exits 2 for a --metrics-port that is no port, with one clear line", async () => {
    const result = await runCli(["server", "--metrics-port", "99999"], { env: { LOCKBOX_HOME: home.path } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "Error: Invalid configuration: --metrics-port must be a whole number from 0 to 65535\n",
    );
  });

  it("documents both options and their variables in lockbox server --help", async () => {
    const text = (await runCli(["server", "--help"])).stdout.replace(/\s+/g, " ");
    expect(text).toContain("--metrics-port <port> serve /metrics for Prometheus on this port of its own");
    expect(text).toContain("(env: LOCKBOX_METRICS_PORT)");
    expect(text).toContain(
      "--metrics-host <host> address of the metrics port (default: 127.0.0.1) (env: LOCKBOX_METRICS_HOST)",
    );
  });
});
