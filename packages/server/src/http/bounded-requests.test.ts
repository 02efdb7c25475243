import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limits } from "../shared/rules.js";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

const canary = "CANARY-bounded-4e1f9a";
const main = "/v1/environments/main";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.dispose());

const resolveEntries = async () =>
  (await server.call("GET", "/v1/audit?limit=1000")).body.entries.filter(
    (entry: { action: string }) => entry.action === "secret.resolve",
  );

describe("a resolve", () => {
  const names = Array.from({ length: limits.resolveMaxSecrets + 1 }, (_, i) => `bounded-${i}`);

  beforeAll(async () => {
    for (const name of names) {
      const created = await server.call("POST", `${main}/secrets`, { body: { name, values: { K: canary } } });
      expect(created.status).toBe(201);
    }
  });

  it("names at most 100 secrets: 101 is a 400 that reads nothing", async () => {
    const answer = await server.call("POST", `${main}/resolve`, {
      body: { secrets: names.map((name) => ({ name })) },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      code: "invalid",
      message: "A resolve names at most 100 secrets; this one names 101",
    });
    expect(answer.text).not.toContain(canary);
    expect(await resolveEntries()).toEqual([]);

    const hundred = await server.call("POST", `${main}/resolve`, {
      body: { secrets: names.slice(0, 100).map((name) => ({ name })) },
    });
    expect(hundred.status).toBe(200);
    expect(hundred.body.secrets).toHaveLength(100);
    expect(await resolveEntries()).toHaveLength(100);
  });

  it("names each secret once: a duplicate is a 400 naming it", async () => {
    const before = (await resolveEntries()).length;
    const answer = await server.call("POST", `${main}/resolve`, {
      body: { secrets: [{ name: "bounded-1" }, { name: "bounded-2" }, { name: "bounded-1", version: 1 }] },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toBe(
      "Secret 'bounded-1' is named twice in one resolve: name each secret once",
    );
    expect(await resolveEntries()).toHaveLength(before);
  });

  it("says its limit in the OpenAPI document", async () => {
    const openapi = (await server.call("GET", "/openapi.json", { token: null })).body;
    const body = openapi.paths["/v1/environments/{environment}/resolve"].post.requestBody;
    expect(body.content["application/json"].schema.properties.secrets.maxItems).toBe(100);
  });
});
