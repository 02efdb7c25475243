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

const names = (answer: { body: Record<string, { name: string }[]> }, field: string) =>
  (answer.body[field] ?? []).map((item) => item.name);

describe("list pages", () => {
  const lists = [
    "/v1/environments",
    "/v1/workspaces",
    "/v1/tokens",
    "/v1/identities",
    "/v1/audit",
    `${main}/secrets`,
    `${main}/apps`,
    `${main}/secrets/bounded-0/history`,
  ];

  it("are bounded on every list route: a limit from 1 to 1000, said in the OpenAPI document", async () => {
    const openapi = (await server.call("GET", "/openapi.json", { token: null })).body;
    const listed = Object.entries(openapi.paths).filter(([, item]) =>
      ((item as { get?: { parameters?: { name: string }[] } }).get?.parameters ?? []).some(
        (parameter) => parameter.name === "limit",
      ),
    );
    expect(
      listed.map(([path]) => path.replace("{environment}", "main").replace("{name}", "bounded-0")).sort(),
    ).toEqual([...lists].sort());
    for (const [, item] of listed) {
      const limit = (item as { get: { parameters: { name: string; schema: object }[] } }).get.parameters.find(
        (parameter) => parameter.name === "limit",
      );
      expect(limit?.schema).toMatchObject({ minimum: 1, maximum: limits.pageSizeMax });
    }
    for (const path of lists) {
      for (const limit of [0, 1001]) {
        const answer = await server.call("GET", `${path}?limit=${limit}`);
        expect(answer.status, `${path} ${limit}`).toBe(400);
        expect(answer.body.error.message).toMatch(/^querystring limit: /);
      }
      expect((await server.call("GET", `${path}?limit=1`)).status, path).toBe(200);
    }
  });

  it("of environments answer 100 by default, in name order, and go on after a name", async () => {
    const created = Array.from({ length: 100 }, (_, i) => `env-${String(i).padStart(3, "0")}`);
    for (const name of created)
      expect((await server.call("POST", "/v1/environments", { body: { name } })).status).toBe(201);
    const first = await server.call("GET", "/v1/environments");
    expect(names(first, "environments")).toEqual(created);
    const rest = await server.call("GET", `/v1/environments?after=${created[99]}`);
    expect(names(rest, "environments")).toEqual(["main"]);
    const page = await server.call("GET", "/v1/environments?limit=2&after=env-010");
    expect(names(page, "environments")).toEqual(["env-011", "env-012"]);
  });

  it("of tokens go on after a token's id, oldest first; an unknown id is a 400", async () => {
    const made = [];
    for (let i = 0; i < 3; i++)
      made.push((await server.call("POST", "/v1/tokens", { body: { name: `paged-${i}` } })).body.token.id);
    const all = (await server.call("GET", "/v1/tokens?limit=1000")).body.tokens.map(
      (t: { id: string }) => t.id,
    );
    expect(all.slice(-3)).toEqual(made);
    const page = await server.call("GET", `/v1/tokens?limit=2&after=${made[0]}`);
    expect(page.body.tokens.map((t: { id: string }) => t.id)).toEqual(made.slice(1));
    const unknown = await server.call("GET", "/v1/tokens?after=tk-nope");
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toBe(
      "No token 'tk-nope' to list after: give `after` the id of the last token of the page before",
    );
  });

  it("of workspaces and apps go on after a name", async () => {
    for (const name of ["ws-a", "ws-b"]) await server.call("POST", "/v1/workspaces", { body: { name } });
    const workspaces = await server.call("GET", "/v1/workspaces?limit=2&after=default");
    expect(names(workspaces, "workspaces")).toEqual(["ws-a", "ws-b"]);
    const bundle = '(globalThis[Symbol.for("lockbox.functions")] ??= []).push(() => 1);';
    for (const app of ["app-a", "app-b", "app-c"]) {
      const body = { bundle, functions: [{ name: "f", index: 0, secrets: [] }] };
      expect((await server.call("POST", `${main}/apps/${app}/deployments`, { body })).status).toBe(201);
    }
    const apps = await server.call("GET", `${main}/apps?limit=1&after=app-a`);
    expect(names(apps, "apps")).toEqual(["app-b"]);
    const head = await server.call("GET", `${main}/apps/app-c/head`);
    expect(head.body).toEqual({ version: 1, deployedAt: expect.any(String) });
    expect((await server.call("GET", `${main}/apps/app-z/head`)).status).toBe(404);
  });

  it("of a secret's versions go on before a version, newest first", async () => {
    for (let i = 0; i < 4; i++)
      await server.call("PATCH", `${main}/secrets/bounded-0`, { body: { set: { K: `${canary}-${i}` } } });
    const versions = async (query: string) =>
      (await server.call("GET", `${main}/secrets/bounded-0/history${query}`)).body.versions.map(
        (v: { version: number }) => v.version,
      );
    expect(await versions("")).toEqual([5, 4, 3, 2, 1]);
    expect(await versions("?limit=2")).toEqual([5, 4]);
    expect(await versions("?limit=2&beforeVersion=4")).toEqual([3, 2]);
  });
});
