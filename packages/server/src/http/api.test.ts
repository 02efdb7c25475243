import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRawDatabase } from "../test-support/test-database.js";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

const canary = "CANARY-api-7f3a9c1e-do-not-leak";
const secrets = "/v1/environments/main/secrets";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.dispose());

async function tokenWithRole(role: string, workspace?: string): Promise<string> {
  const answer = await server.call("POST", "/v1/tokens", {
    body: { role, ...(workspace ? { workspace } : {}) },
  });
  expect(answer.status).toBe(201);
  return answer.body.value;
}

describe("authentication", () => {
  it("answers 401 in the error format without a token", async () => {
    const answer = await server.call("GET", secrets, { token: null });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toMatchObject({
      code: "unauthenticated",
      message: expect.stringContaining("Bearer"),
    });
    expect(answer.body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses an unknown token", async () => {
    const answer = await server.call("GET", secrets, { token: "lbx_not_a_real_token" });
    expect(answer.status).toBe(401);
  });

  it("ends a revoked token at its next request", async () => {
    const token = await tokenWithRole("developer");
    expect((await server.call("GET", secrets, { token })).status).toBe(200);
    const listed = await server.call("GET", "/v1/tokens");
    const id = listed.body.tokens.find(
      (t: { role: string; revokedAt: string | null }) => t.role === "developer",
    ).id;
    expect((await server.call("DELETE", `/v1/tokens/${id}`)).status).toBe(200);
    expect((await server.call("GET", secrets, { token })).status).toBe(401);
  });

  it("never lists a token's value or hash", async () => {
    const value = await tokenWithRole("viewer");
    const listed = await server.call("GET", "/v1/tokens");
    expect(listed.text).not.toContain(value);
    expect(listed.text).not.toContain("hash");
  });
});

describe("secrets over HTTP", () => {
  it("creates, reads, updates with ifVersion, rolls back and deletes", async () => {
    const created = await server.call("POST", secrets, {
      body: { name: "flow", values: { A: "1", B: canary } },
    });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(canary);
    expect(created.body.secret).toMatchObject({ name: "flow", version: 1, keys: ["A", "B"] });

    const duplicate = await server.call("POST", secrets, { body: { name: "flow", values: { A: "2" } } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe("already_exists");

    const updated = await server.call("PATCH", `${secrets}/flow`, {
      body: { set: { C: "3" }, unset: ["A"], ifVersion: 1 },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ version: 2, keys: ["B", "C"] });

    const stale = await server.call("PATCH", `${secrets}/flow`, { body: { set: { D: "4" }, ifVersion: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("conflict");

    const rolledBack = await server.call("POST", `${secrets}/flow/rollback`, { body: { version: 1 } });
    expect(rolledBack.body).toMatchObject({ version: 3, keys: ["A", "B"] });
    const values = await server.call("GET", `${secrets}/flow/values`);
    expect(values.body.values).toEqual({ A: "1", B: canary });

    const history = await server.call("GET", `${secrets}/flow/history`);
    expect(history.body.versions.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect(history.body.versions[1]).toMatchObject({ added: ["C"], removed: ["A"], changed: [] });
    expect(history.text).not.toContain(canary);

    expect((await server.call("DELETE", `${secrets}/flow`)).body).toEqual({ deleted: true });
    expect((await server.call("GET", `${secrets}/flow`)).status).toBe(404);
    expect((await server.call("DELETE", `${secrets}/flow?allowMissing=true`)).body).toEqual({
      deleted: false,
    });
  });

  it("names missing required keys", async () => {
    await server.call("POST", secrets, { body: { name: "required", values: { A: "1" } } });
    const answer = await server.call("GET", `${secrets}/required?requiredKeys=A,K1,K2`);
    expect(answer.status).toBe(404);
    expect(answer.body.error.message).toBe("Secret 'required' is missing key(s): K1, K2");
  });

  it("answers 400 to an unset of a key the secret does not have, and changes nothing", async () => {
    await server.call("POST", secrets, { body: { name: "unset-missing", values: { A: canary } } });
    const answer = await server.call("PATCH", `${secrets}/unset-missing`, {
      body: { set: { B: canary }, unset: ["A", "NOPE"] },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      code: "invalid",
      message: "Secret 'unset-missing' has no key(s): NOPE",
    });
    expect(answer.text).not.toContain(canary);
    const values = await server.call("GET", `${secrets}/unset-missing/values`);
    expect(values.body).toMatchObject({ version: 1, values: { A: canary } });
  });

  it("sets last used at when a container resolves a secret", async () => {
    await server.call("POST", secrets, { body: { name: "used", values: { A: "1" } } });
    const resolved = await server.call("POST", "/v1/environments/main/resolve", {
      body: { secrets: [{ name: "used" }] },
    });
    expect(resolved.body.secrets).toEqual([{ name: "used", version: 1, values: { A: "1" } }]);
    const listed = await server.call("GET", secrets);
    const used = listed.body.secrets.find((s: { name: string }) => s.name === "used");
    expect(used.lastUsedAt).toEqual(expect.any(String));
  });

  it("exports in each format", async () => {
    await server.call("POST", secrets, { body: { name: "exported", values: { KEY: "v a l" } } });
    const dotenv = await server.call("GET", `${secrets}/exported/export?format=dotenv`);
    expect(dotenv.body.content).toBe("KEY='v a l'\n");
    const k8s = await server.call("GET", `${secrets}/exported/export?format=k8s`);
    expect(k8s.body.content).toContain(`KEY: ${Buffer.from("v a l").toString("base64")}`);
    const bad = await server.call("GET", `${secrets}/exported/export?format=yaml`);
    expect(bad.status).toBe(400);
  });
});

describe("bad input", () => {
  it.each([
    ["a bad name", { name: "bad name!", values: { A: "1" } }, "Invalid secret name 'bad name!'"],
    ["a bad key", { name: "ok", values: { "1BAD": "x" } }, "Invalid key '1BAD'"],
    ["a number value", { name: "ok", values: { A: 5 } }, "Non-string value for secret 'A'"],
    ["a NUL in a value", { name: "ok", values: { A: `${canary}\u0000` } }, "contains a NUL character"],
    ["a value too long", { name: "ok", values: { A: canary.repeat(2000) } }, "is too long"],
  ])("answers 400 naming the rule for %s, without echoing values", async (_, body, message) => {
    const answer = await server.call("POST", secrets, { body });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("invalid");
    expect(answer.body.error.message).toContain(message);
    expect(answer.text).not.toContain(canary);
  });

  it("does not echo a malformed JSON body", async () => {
    const answer = await server.call("POST", secrets, { body: `{"name":"x","values":{"A":"${canary}` });
    expect(answer.status).toBe(400);
    expect(answer.text).not.toContain(canary);
  });

  it("answers 413 for a body over the limit", async () => {
    const answer = await server.call("POST", secrets, {
      body: { name: "big", values: { A: "x".repeat(5_000_000) } },
    });
    expect(answer.status).toBe(413);
  });

  it("answers 404 in the error format for an unknown route", async () => {
    const answer = await server.call("GET", "/v1/nothing-here");
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe("not_found");
  });
});

describe("roles and workspaces", () => {
  it("lets a viewer see names and keys but never values", async () => {
    await server.call("POST", secrets, { body: { name: "viewed", values: { SECRET: canary } } });
    const viewer = await tokenWithRole("viewer");
    expect((await server.call("GET", `${secrets}/viewed`, { token: viewer })).body.keys).toEqual(["SECRET"]);
    for (const [method, path, body] of [
      ["GET", `${secrets}/viewed/values`],
      ["GET", `${secrets}/viewed/export?format=json`],
      ["POST", "/v1/environments/main/resolve", { secrets: [{ name: "viewed" }] }],
      ["PATCH", `${secrets}/viewed`, { set: { X: "1" } }],
      ["POST", secrets, { name: "nope", values: { A: "1" } }],
    ] as const) {
      const answer = await server.call(method, path, { token: viewer, ...(body ? { body } : {}) });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.text).not.toContain(canary);
    }
  });

  it("keeps workspaces apart", async () => {
    await server.call("POST", secrets, { body: { name: "mine", values: { A: canary } } });
    const created = await server.call("POST", "/v1/workspaces", { body: { name: "other" } });
    expect(created.status).toBe(201);
    const other = created.body.adminToken as string;
    expect((await server.call("GET", `${secrets}/mine`, { token: other })).status).toBe(404);
    expect((await server.call("GET", `${secrets}/mine/values`, { token: other })).status).toBe(404);
    const listed = await server.call("GET", secrets, { token: other });
    expect(listed.body.secrets).toEqual([]);
    expect((await server.call("GET", "/v1/workspaces", { token: other })).body.workspaces).toEqual([
      expect.objectContaining({ name: "other" }),
    ]);
    expect(
      (await server.call("POST", "/v1/workspaces", { token: other, body: { name: "third" } })).status,
    ).toBe(403);
  });

  it("lets only admins read the audit log, which holds no values", async () => {
    const developer = await tokenWithRole("developer");
    expect((await server.call("GET", "/v1/audit", { token: developer })).status).toBe(403);
    const audit = await server.call("GET", "/v1/audit?limit=1000");
    expect(audit.status).toBe(200);
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toContain("secret.reveal");
    expect(audit.text).not.toContain(canary);
  });
});

describe("service endpoints", () => {
  it("serves OpenAPI with the secret routes", async () => {
    const answer = await server.call("GET", "/openapi.json", { token: null });
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toMatch(/^3\./);
    expect(Object.keys(answer.body.paths)).toContain("/v1/environments/{environment}/secrets/{name}");
  });

  it("answers /healthz without a token", async () => {
    expect((await server.call("GET", "/healthz", { token: null })).body).toEqual({ status: "ok" });
  });
});

describe("a container start's read over HTTP", () => {
  it("reads the pinned versions once, audited as container.start naming each secret and version", async () => {
    await server.call("POST", secrets, { body: { name: "pinned", values: { KEY: canary } } });
    await server.call("PATCH", `${secrets}/pinned`, { body: { set: { KEY: `${canary}-2` } } });
    const developer = await tokenWithRole("developer");
    const read = await server.call("POST", "/v1/environments/main/resolve", {
      token: developer,
      body: { use: "container", secrets: [{ name: "pinned", requiredKeys: ["KEY"], version: 1 }] },
    });
    expect(read.status).toBe(200);
    expect(read.body.secrets).toEqual([{ name: "pinned", version: 1, values: { KEY: canary } }]);
    const [entry] = (await server.call("GET", "/v1/audit?limit=1")).body.entries;
    expect(entry).toMatchObject({ action: "container.start", secret: "pinned", version: 1 });
    const missing = await server.call("POST", "/v1/environments/main/resolve", {
      token: developer,
      body: { use: "container", secrets: [{ name: "pinned", version: 9 }] },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe("Secret 'pinned' has no version 9");
  });

  it("refuses it to a viewer and an invoker, and the grant routes are gone", async () => {
    for (const role of ["viewer", "invoker"]) {
      const answer = await server.call("POST", "/v1/environments/main/resolve", {
        token: await tokenWithRole(role),
        body: { use: "container", secrets: [{ name: "pinned" }] },
      });
      expect(answer.status).toBe(403);
      expect(answer.text).not.toContain(canary);
    }
    expect((await server.call("POST", "/v1/grants/redeem")).status).toBe(404);
    // Its table went with it (migration 0010): a query of it fails on either dialect.
    const db = openRawDatabase(server.dataDir);
    try {
      await expect(sql`select count(*) from grants`.execute(db)).rejects.toThrow(/grants/);
      await expect(sql`select target from audit_entries limit 1`.execute(db)).resolves.toBeDefined();
    } finally {
      await db.destroy();
    }
    expect(
      (await server.call("POST", "/v1/environments/main/grants", { body: { secrets: [] } })).status,
    ).toBe(404);
  });
});

describe("apps over HTTP", () => {
  it("deploys a bundle larger than the default body limit and reads it back", async () => {
    const bundle = `export const padding = "${"x".repeat(5_000_000)}";`;
    const deployed = await server.call("POST", "/v1/environments/main/apps/big/deployments", {
      body: { bundle, functions: [{ name: "f", index: 0, secrets: [] }] },
    });
    expect(deployed.status).toBe(201);
    expect(deployed.body).toMatchObject({ name: "big", version: 1 });
    const read = await server.call("GET", "/v1/environments/main/apps/big");
    expect(read.body.bundle).toBe(bundle);
  });

  const newSecret = async (environment: string, name: string) => {
    const made = await server.call("POST", `/v1/environments/${environment}/secrets`, {
      body: { name, values: { DB_URL: "x" } },
    });
    expect([201, 409]).toContain(made.status);
  };

  it("stores each function's secret references, env, timeout and sandbox shape", async () => {
    await server.call("POST", "/v1/environments", { body: { name: "prod" } });
    await newSecret("main", "shared");
    await newSecret("prod", "db");
    const functions = [
      {
        name: "f",
        index: 0,
        secrets: [{ name: "shared" }, { name: "db", environment: "prod", requiredKeys: ["DB_URL"] }],
        env: { MODE: "deployed" },
        timeoutMs: 5_000,
        network: "none",
        tmpMb: 16,
      },
    ];
    const deployed = await server.call("POST", "/v1/environments/main/apps/refs/deployments", {
      body: { bundle: "export const x = 1;", functions },
    });
    expect(deployed.status).toBe(201);
    const read = await server.call("GET", "/v1/environments/main/apps/refs");
    expect(read.body.functions).toEqual(functions);
  });

  it.each([
    ["no secrets list", { name: "f", index: 0 }],
    ["a secret name", { name: "f", index: 0, secrets: [{ name: "bad name" }] }],
    ["a required key", { name: "f", index: 0, secrets: [{ name: "s", requiredKeys: ["1X"] }] }],
    ["an env value", { name: "f", index: 0, secrets: [], env: { A: 5 } }],
    ["a timeout", { name: "f", index: 0, secrets: [], timeoutMs: 1.5 }],
    ["a network", { name: "f", index: 0, secrets: [], network: "host" }],
    ["a /tmp size", { name: "f", index: 0, secrets: [], tmpMb: 0 }],
  ])("answers 400 for %s and stores nothing", async (_, fn) => {
    const answer = await server.call("POST", "/v1/environments/main/apps/refused/deployments", {
      body: { bundle: "export const x = 1;", functions: [fn] },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("invalid");
    expect((await server.call("GET", "/v1/environments/main/apps/refused")).status).toBe(404);
    if ("timeoutMs" in fn) expect(answer.body.error.message).toContain("`timeoutMs` must be a whole number");
    if ("tmpMb" in fn)
      expect(answer.body.error.message).toContain("`tmpMb` must be a whole number of MiB from 1 to 4096");
  });

  it("answers 403 to a token limited to one environment deploying a function that reads another's secret", async () => {
    const environment = await server.call("POST", "/v1/environments", { body: { name: "deploy-scope" } });
    expect(environment.status).toBe(201);
    const made = await server.call("POST", "/v1/tokens", {
      body: { role: "developer", environment: "deploy-scope" },
    });
    const token = made.body.value as string;
    await newSecret("deploy-scope", "db");
    await newSecret("main", "db");
    const deployments = "/v1/environments/deploy-scope/apps/scoped/deployments";
    const own = { name: "f", index: 0, secrets: [{ name: "db" }] };
    const first = await server.call("POST", deployments, {
      token,
      body: { bundle: "export const x = 1;", functions: [own] },
    });
    expect(first.status).toBe(201);

    const leak = { name: "leak", index: 1, secrets: [{ name: "db", environment: "main" }] };
    const refused = await server.call("POST", deployments, {
      token,
      body: { bundle: "export const x = 2;", functions: [own, leak] },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({
      code: "permission_denied",
      message:
        "Cannot deploy function 'leak': it reads secret 'db' in environment 'main', and this token is limited to environment 'deploy-scope'",
    });
    const read = await server.call("GET", "/v1/environments/deploy-scope/apps/scoped");
    expect(read.body).toMatchObject({ version: 1, bundle: "export const x = 1;", functions: [own] });
    const listed = await server.call("GET", "/v1/environments/main/apps");
    expect(listed.body.apps.map((app: { name: string }) => app.name)).not.toContain("scoped");
  });

  it("answers 404 naming the secret for a deploy of a function whose secret does not exist, and stores nothing", async () => {
    await newSecret("main", "present");
    const fn = { name: "f", index: 0, secrets: [{ name: "present" }, { name: "absent-one" }] };
    const refused = await server.call("POST", "/v1/environments/main/apps/dangling/deployments", {
      body: { bundle: "export const x = 1;", functions: [fn] },
    });
    expect(refused.status).toBe(404);
    expect(refused.body.error).toMatchObject({
      code: "not_found",
      message:
        "Cannot deploy function 'f': it reads secret 'absent-one' in environment 'main', which has no such secret",
    });
    expect((await server.call("GET", "/v1/environments/main/apps/dangling")).status).toBe(404);
  });

  it("answers 403 to an invoker's deploy, and withholds a deploy's code from invokers and viewers", async () => {
    await server.call("POST", "/v1/environments/main/apps/coded/deployments", {
      body: { bundle: "export const coded = 1;", functions: [{ name: "f", index: 0, secrets: [] }] },
    });
    for (const role of ["invoker", "viewer"]) {
      const token = (await server.call("POST", "/v1/tokens", { body: { role } })).body.value as string;
      const deploy = await server.call("POST", "/v1/environments/main/apps/coded/deployments", {
        token,
        body: { bundle: "export const x = 2;", functions: [] },
      });
      expect(deploy.status).toBe(403);
      expect(deploy.body.error.message).toBe(
        `${role === "invoker" ? "An" : "A"} ${role} token cannot deploy apps; it needs the developer role`,
      );
      const read = await server.call("GET", "/v1/environments/main/apps/coded", { token });
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ name: "coded", version: 1, functions: [{ name: "f" }] });
      expect(read.text).not.toContain("export const coded");
      expect(read.body).not.toHaveProperty("files");
    }
  });
});
