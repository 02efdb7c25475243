import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setAuditWritable } from "../test-support/audit-refusal.js";
import { type Sample, sampleValue, scrape } from "../test-support/metrics-text.js";
import { usesPostgres } from "../test-support/test-database.js";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

const base = "/v1/environments/main";
let server: TestServer;
let metricsUrl: string;

beforeAll(async () => {
  server = await startTestServer({ metricsPort: 0 });
  metricsUrl = server.server.metricsUrl ?? "";
});
afterAll(async () => {
  await server?.dispose();
});

/** How much each of `series` moved while `act` ran: scraped before and after. */
async function moved(series: Array<[string, Record<string, string>?]>, act: () => Promise<void>) {
  const value = (samples: Sample[]) => series.map(([name, labels]) => sampleValue(samples, name, labels));
  const before = value(await scrape(metricsUrl));
  await act();
  const after = value(await scrape(metricsUrl));
  return after.map((count, index) => count - (before[index] ?? 0));
}

const reads = ["lockbox_secret_operations_total", { operation: "read" }] as [string, Record<string, string>];
const writes = ["lockbox_secret_operations_total", { operation: "write" }] as [
  string,
  Record<string, string>,
];

describe("the metrics listener", () => {
  it("serves the Prometheus text format on its own port, on loopback; the API's port has no /metrics", async () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(metricsUrl).port).not.toBe(new URL(server.url).port);
    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    expect(text).toContain("# TYPE lockbox_secret_operations_total counter");
    expect(text).toContain("# TYPE process_cpu_seconds_total counter"); // the process's own
    const onApi = await server.call("GET", "/metrics", { token: null });
    expect(onApi.status).toBe(404);
    expect(onApi.body.error.code).toBe("not_found");
  });

  it("is off unless a metrics port is given", async () => {
    const plain = await startTestServer();
    try {
      expect(plain.server.metricsUrl).toBeUndefined();
      expect((await plain.call("GET", "/metrics", { token: null })).status).toBe(404);
    } finally {
      await plain.dispose();
    }
  });

  it("closes with the server", async () => {
    const other = await startTestServer({ metricsPort: 0 });
    const url = other.server.metricsUrl ?? "";
    expect((await fetch(url)).status).toBe(200);
    await other.dispose();
    await expect(fetch(url)).rejects.toThrow(/fetch failed/);
  });
});

describe("the metrics", () => {
  it("count a resolve as one secret read, in one audit group commit, and a create and an update as writes", async () => {
    const [created, updated] = await moved([writes, reads], async () => {
      const body = { name: "counted", values: { KEY: "one" } };
      expect((await server.call("POST", `${base}/secrets`, { body })).status).toBe(201);
      const update = { body: { set: { KEY: "two" } } };
      expect((await server.call("PATCH", `${base}/secrets/counted`, update)).status).toBe(200);
    });
    expect([created, updated]).toEqual([2, 0]);
    const [read, written, commits] = await moved(
      [reads, writes, ["lockbox_audit_group_commit_duration_seconds_count"]],
      async () => {
        const body = { secrets: [{ name: "counted" }] };
        expect((await server.call("POST", `${base}/resolve`, { body })).status).toBe(200);
      },
    );
    expect({ read, written, commits }).toEqual({ read: 1, written: 0, commits: 1 });
  });

  it("count reads refused when their audit entries cannot be committed", async () => {
    const body = { name: "refused", values: { KEY: "value" } };
    expect((await server.call("POST", `${base}/secrets`, { body })).status).toBe(201);
    const [refused, read] = await moved([["lockbox_audit_refused_reads_total"], reads], async () => {
      await setAuditWritable(server.dataDir, false);
      try {
        const resolve = { body: { secrets: [{ name: "refused" }] } };
        expect((await server.call("POST", `${base}/resolve`, resolve)).status).toBeGreaterThanOrEqual(500);
      } finally {
        await setAuditWritable(server.dataDir, true);
      }
    });
    expect({ refused, read }).toEqual({ refused: 1, read: 0 });
  });

  it("count a refused token and a failed sign-in by kind, and requests by route pattern", async () => {
    const token = ["lockbox_authentication_failures_total", { kind: "token" }];
    const signIn = ["lockbox_authentication_failures_total", { kind: "sign_in" }];
    const route = "/v1/environments/:environment/secrets";
    const byRoute = [
      "lockbox_http_request_duration_seconds_count",
      { route, method: "GET", status_code: "401" },
    ];
    const deltas = await moved(
      [token, signIn, byRoute] as Array<[string, Record<string, string>]>,
      async () => {
        expect((await server.call("GET", `${base}/secrets`, { token: "lbx_not_a_real_token" })).status).toBe(
          401,
        );
        const signInBody = { token: null, body: { token: "lbx_not_a_real_token" } };
        expect((await server.call("POST", "/v1/sessions", signInBody)).status).toBe(401);
      },
    );
    expect(deltas).toEqual([1, 1, 1]);
  });

  it("label a URL no route matches as unmatched, never by its path", async () => {
    const unmatched = ["lockbox_http_request_duration_seconds_count", { route: "unmatched", method: "POST" }];
    const [count] = await moved([unmatched as [string, Record<string, string>]], async () => {
      expect((await server.call("POST", "/v1/no-such-route-4f1e")).status).toBe(404);
    });
    expect(count).toBe(1);
    const routes = (await scrape(metricsUrl)).map((sample) => sample.labels.route ?? "");
    expect(routes.some((route) => route.includes("no-such-route"))).toBe(false);
  });

  it(`show ${usesPostgres ? "PostgreSQL's connection pool" : "no connection pool on SQLite"}`, async () => {
    const samples = await scrape(metricsUrl);
    const pools = samples.filter((sample) => sample.name.startsWith("lockbox_database_"));
    if (!usesPostgres) return expect(pools).toEqual([]);
    expect(sampleValue(samples, "lockbox_database_connections_max", { database: "primary" })).toBe(10);
    const open = sampleValue(samples, "lockbox_database_connections", { database: "primary" });
    expect(open).toBeGreaterThanOrEqual(1); // the store's queries left idle connections open
    expect(pools.map((sample) => sample.labels.database)).not.toContain("replica");
  });
});
