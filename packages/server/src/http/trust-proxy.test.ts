import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

// Documentation addresses (RFC 5737): they only appear in a header, no traffic goes there.
const client = "203.0.113.9";
const otherClient = "203.0.113.10";
const secrets = "/v1/environments/main/secrets";

/** A request with a wrong bearer token, as forwarded by a proxy for `address`. */
const failFrom = (server: TestServer, address: string, attempt: number) =>
  server.call("GET", secrets, {
    token: `lbx_wrong_${attempt}`,
    headers: { "x-forwarded-for": address },
  });

/** The sources of the failures audited one by one (not the entry saying a limit was reached). */
async function failedSources(server: TestServer): Promise<string[]> {
  const audit = await server.call("GET", "/v1/audit?limit=100");
  return audit.body.entries
    .filter(
      (entry: { action: string; target: string | null }) =>
        entry.action === "auth.failed" && !entry.target?.startsWith("limit reached"),
    )
    .map((entry: { source: string }) => entry.source);
}

const signInCookie = async (server: TestServer) =>
  (
    await server.call("POST", "/v1/sessions", {
      token: null,
      body: { token: server.adminToken },
      headers: { "x-forwarded-proto": "https" },
    })
  ).headers.get("set-cookie") ?? "";

describe("--trust-proxy 127.0.0.1 (the test's proxy is loopback)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ trustProxy: "127.0.0.1", maxFailedAuthentications: 1 });
  });
  afterAll(() => server.dispose());

  it("counts failures per forwarded client, not per proxy, and audits the client's address", async () => {
    expect((await failFrom(server, client, 1)).status).toBe(401);
    expect((await failFrom(server, client, 2)).status).toBe(429);
    // Another client behind the same proxy has a limit of its own.
    expect((await failFrom(server, otherClient, 3)).status).toBe(401);
    expect(await failedSources(server)).toEqual([otherClient, client]); // newest first
  });

  it("marks the session cookie Secure when the proxy says the client used HTTPS", async () => {
    expect(await signInCookie(server)).toMatch(/; Secure$/);
  });
});

describe("without --trust-proxy", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ maxFailedAuthentications: 1 });
  });
  afterAll(() => server.dispose());

  it("ignores X-Forwarded-For: every request counts against the address it came from", async () => {
    expect((await failFrom(server, client, 1)).status).toBe(401);
    expect((await failFrom(server, otherClient, 2)).status).toBe(429);
    expect(await failedSources(server)).toEqual(["127.0.0.1"]);
  });

  it("ignores X-Forwarded-Proto", async () => {
    expect(await signInCookie(server)).not.toContain("Secure");
  });
});
