import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMetrics, sampleValue } from "../test-support/metrics-text.js";
import {
  type PrometheusServer,
  prometheusInstalled,
  promtoolCheck,
  startPrometheus,
} from "../test-support/prometheus-server.js";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

const notInstalled =
  "Debian's prometheus package is not installed (apt-get install -y prometheus; scripts/test.sh installs it)";

const tag = randomBytes(6).toString("hex");
const canary = {
  secret: `canary-secret-${tag}`,
  key: `CANARY_KEY_${tag}`,
  value: `CANARY-value-${tag}`,
  app: `canary-app-${tag}`,
  function: `canaryFunction${tag}`,
  token: `lbx_canary_token_${tag}`,
};
const base = "/v1/environments/main";

// A hand-made bundle that fills the registry itself, as an SDK bundle does: it reads its secret.
const bundle = `(globalThis[Symbol.for("lockbox.functions")] ??= []).push(async (key) => process.env[key].length);`;

let server: TestServer;
let prometheus: PrometheusServer | undefined;
let scraped = "";

/** Whatever reads, writes, calls and fails, every name and value of it a canary. */
async function runWorkload(): Promise<void> {
  const ok = async (status: number, answer: Promise<{ status: number }>) =>
    expect((await answer).status).toBe(status);
  const values = { [canary.key]: canary.value };
  await ok(201, server.call("POST", `${base}/secrets`, { body: { name: canary.secret, values } }));
  await ok(200, server.call("POST", `${base}/resolve`, { body: { secrets: [{ name: canary.secret }] } }));
  await ok(200, server.call("GET", `${base}/secrets/${canary.secret}/values`));
  const fn = { name: canary.function, index: 0, secrets: [{ name: canary.secret }] };
  const deployment = { bundle, functions: [fn] };
  await ok(201, server.call("POST", `${base}/apps/${canary.app}/deployments`, { body: deployment }));
  const call = { body: { args: [canary.key] } };
  await ok(200, server.call("POST", `${base}/apps/${canary.app}/functions/${canary.function}/call`, call));
  await ok(401, server.call("GET", `${base}/secrets/${canary.secret}`, { token: canary.token }));
  await ok(401, server.call("POST", "/v1/sessions", { token: null, body: { token: canary.token } }));
  await ok(404, server.call("GET", `/v1/${canary.secret}/${canary.value}`));
}

beforeAll(async () => {
  server = await startTestServer({ metricsPort: 0 });
  await runWorkload();
  const metricsUrl = server.server.metricsUrl ?? "";
  scraped = await (await fetch(metricsUrl)).text();
  if (prometheusInstalled) prometheus = await startPrometheus(new URL(metricsUrl).host);
});
afterAll(async () => {
  await prometheus?.stop();
  await server?.dispose();
});

describe("/metrics under a real Prometheus", () => {
  it("is scraped: up == 1 for the server's metrics port", async (context) => {
    if (!prometheus) return context.skip(notInstalled);
    const scraper = prometheus;
    await scraper.until(async () => (await scraper.query('up{job="lockbox"}'))[0]?.value[1] === "1");
    const reads = await scraper.query('lockbox_secret_operations_total{operation="read"}');
    expect(Number(reads[0]?.value[1])).toBe(3); // the resolve, the reveal, the call's container start
  });

  it("passes promtool check metrics", (context) => {
    if (!prometheusInstalled) return context.skip(notInstalled);
    expect(promtoolCheck(scraped)).toEqual({ status: 0, output: "" });
  });

  it("holds no secret, key, app, function or token name and no value, in a label or anywhere", async (context) => {
    const samples = parseMetrics(scraped);
    // The run was counted: a vacuous scrape would pass the checks below.
    expect(sampleValue(samples, "lockbox_container_starts_total", { kind: "cold" })).toBe(1);
    expect(sampleValue(samples, "lockbox_container_calls_total", { outcome: "ok" })).toBe(1);
    expect(sampleValue(samples, "lockbox_authentication_failures_total")).toBe(2);
    const labelValues = samples.flatMap((sample) => Object.values(sample.labels));
    for (const secret of Object.values(canary)) {
      expect(labelValues.filter((value) => value.includes(secret))).toEqual([]);
      expect(scraped).not.toContain(secret);
    }
    if (!prometheus) return context.skip(notInstalled);
    const stored = JSON.stringify(await prometheus.series('{job="lockbox"}'));
    expect(stored).toContain("lockbox_http_request_duration_seconds_bucket");
    for (const secret of Object.values(canary)) expect(stored).not.toContain(secret);
  });

  it("labels its own series only with kinds, route patterns, methods and status codes", () => {
    const allowed = [
      "route",
      "method",
      "status_code",
      "operation",
      "kind",
      "outcome",
      "database",
      "state",
      "le",
    ];
    const used = new Set(
      parseMetrics(scraped)
        .filter((sample) => sample.name.startsWith("lockbox_"))
        .flatMap((sample) => Object.keys(sample.labels)),
    );
    expect([...used].filter((label) => !allowed.includes(label))).toEqual([]);
  });
});
