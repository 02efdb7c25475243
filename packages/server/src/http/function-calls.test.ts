import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Lockbox, openLockbox } from "../lockbox.js";
import { processesWith } from "../test-support/container-bundle.js";
import { makeTempDir, removeTempDir } from "../test-support/temp-lockbox.js";
import { dropTestDatabase, testDatabaseUrl } from "../test-support/test-database.js";
import { callApi } from "../test-support/test-server.js";
import { buildApp, redactedPaths } from "./app.js";

const adminToken = "lbx_test_function_calls_admin_5f1c";
const canary = "CANARY-server-call-7d3e91aa";
const app = "calls";
const base = "/v1/environments/main";

// A hand-made ESM bundle that fills the registry itself, as an SDK bundle does: `show` prints
// and returns the secret's value, `hold` keeps its container busy for a while.
const bundle = `
const registry = (globalThis[Symbol.for("lockbox.functions")] ??= []);
registry.push(async (key, extra) => {
  console.log("the password is " + process.env[key]);
  console.error("to stderr: " + process.env[key]);
  return { value: process.env[key], length: process.env[key].length, extra, nested: [{ [process.env[key]]: 1 }] };
});
registry.push(async (ms) => { await new Promise((resolve) => setTimeout(resolve, ms)); return process.pid; });
`;

let dataDir: string;
let lockbox: Lockbox;
let server: Awaited<ReturnType<typeof buildApp>>;
let url: string;
const lines: string[] = [];

const call = (method: string, path: string, options: { body?: unknown; token?: string } = {}) =>
  callApi(url, method, path, { token: adminToken, ...options });

async function tokenWithRole(role: string): Promise<string> {
  const answer = await call("POST", "/v1/tokens", { body: { role } });
  expect(answer.status).toBe(201);
  return answer.body.value;
}

/** Live processes of this server's containers (below this process: other test files run their own). */
const containerProcesses = () => processesWith("lockbox-server-", { below: process.pid });

beforeAll(async () => {
  dataDir = makeTempDir();
  lockbox = await openLockbox({ dataDir, databaseUrl: await testDatabaseUrl(dataDir) });
  await lockbox.bootstrap({ token: adminToken });
  // The server's own logger settings, at the most talkative level, into memory.
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: "trace", redact: { paths: redactedPaths, censor: "[redacted]" } }, sink);
  server = await buildApp({ ...lockbox, logger });
  url = await server.listen({ host: "127.0.0.1", port: 0 });
  expect(
    (await call("POST", `${base}/secrets`, { body: { name: "db", values: { PASSWORD: canary } } })).status,
  ).toBe(201);
  const deployed = await call("POST", `${base}/apps/${app}/deployments`, {
    body: {
      bundle,
      functions: [
        {
          name: "show",
          index: 0,
          secrets: [{ name: "db", requiredKeys: ["PASSWORD"] }],
          env: { MODE: "on" },
        },
        { name: "hold", index: 1, secrets: [{ name: "db" }], timeoutMs: 20_000 },
        { name: "slow", index: 1, secrets: [], timeoutMs: 300 },
      ],
    },
  });
  expect(deployed.status).toBe(201);
});

let closed = false;

afterAll(async () => {
  if (!closed) {
    await server?.close();
    await lockbox?.close();
  }
  if (dataDir) {
    await dropTestDatabase(dataDir);
    removeTempDir(dataDir);
  }
});

describe("POST …/apps/:name/functions/:function/call", () => {
  it("runs the function on the server with its secret, and answers a masked result and output", async () => {
    // As curl would: a bearer token, a JSON body.
    const response = await fetch(`${url}${base}/apps/${app}/functions/show/call`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ args: ["PASSWORD", { n: 2 }] }),
    });
    const text = await response.text();
    expect(response.status).toBe(200);
    const answer = JSON.parse(text);
    expect(answer.result).toEqual({
      value: "***",
      length: canary.length,
      extra: { n: 2 },
      nested: [{ "***": 1 }],
    });
    expect(answer.output).toContain("the password is ***\n");
    expect(answer.output).toContain("to stderr: ***\n");
    expect(answer.version).toBe(1);
    expect(text).not.toContain(canary);
    expect(lines.join("")).not.toContain(canary);
  });

  it("audits the call and the container start, naming the secret and version, never a value", async () => {
    const developer = await tokenWithRole("developer");
    const called = await call("POST", `${base}/apps/${app}/functions/show/call`, {
      token: developer,
      body: { args: ["MODE"] },
    });
    expect(called.status).toBe(200);
    expect(called.body.result.value).toBe("on"); // `env` reaches the container; too short to mask
    const audit = await call("GET", "/v1/audit?limit=50");
    expect(audit.status).toBe(200);
    expect(audit.text).not.toContain(canary);
    const entries = audit.body.entries as {
      action: string;
      secret: string | null;
      target: string | null;
      version: number | null;
    }[];
    const calls = entries.filter((entry) => entry.action === "function.call");
    expect(calls.length).toBeGreaterThanOrEqual(2);
    // The call's target in its own column; `secret` names secrets only.
    expect(calls[0]).toMatchObject({ target: `${app}/show`, secret: null, version: 1 });
    const verified = await call("GET", "/v1/audit/verify");
    expect(verified.body.problems).toEqual([]);
    // The container start names the function whose container read the secret.
    expect(
      entries.some(
        (entry) =>
          entry.action === "container.start" &&
          entry.secret === "db" &&
          entry.version === 1 &&
          entry.target === `${app}/show`,
      ),
    ).toBe(true);
  });

  it("starts a new container when the secret changes, and reads the new version", async () => {
    const updated = await call("PATCH", `${base}/secrets/db`, {
      body: { set: { PASSWORD: `${canary}-v2` } },
    });
    expect(updated.status).toBe(200);
    const called = await call("POST", `${base}/apps/${app}/functions/show/call`, {
      body: { args: ["PASSWORD"] },
    });
    expect(called.status).toBe(200);
    expect(called.body.result.length).toBe(canary.length + 3);
    expect(called.text).not.toContain(canary);
    const audit = await call("GET", "/v1/audit?limit=50");
    const starts = (
      audit.body.entries as { action: string; secret: string | null; version: number | null }[]
    ).filter((entry) => entry.action === "container.start" && entry.secret === "db");
    expect(starts.some((entry) => entry.version === 2)).toBe(true);
  });

  it("runs the container as a descendant of the server process", async () => {
    const pending = call("POST", `${base}/apps/${app}/functions/hold/call`, { body: { args: [2500] } });
    let found: number[] = [];
    for (let tries = 0; tries < 40 && found.length === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      found = containerProcesses();
    }
    expect(found.length).toBeGreaterThan(0); // only processes below this one are counted
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(typeof answer.body.result).toBe("number");
  });

  it("enforces the function's timeout on the server", async () => {
    const answer = await call("POST", `${base}/apps/${app}/functions/slow/call`, { body: { args: [5000] } });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.body.error.message).toMatch(/timed out after 300 ms/);
  });

  it("lets an invoker call the function and see its masked result and output, and read no value anywhere", async () => {
    const made = await call("POST", "/v1/tokens", { body: { role: "invoker", name: "caller-bot" } });
    const invoker = made.body.value as string;
    // A new version: the invoker's call starts a container, whose read is on its behalf.
    const secret = `${canary}-invoker`;
    expect((await call("PATCH", `${base}/secrets/db`, { body: { set: { PASSWORD: secret } } })).status).toBe(
      200,
    );
    const called = await call("POST", `${base}/apps/${app}/functions/show/call`, {
      token: invoker,
      body: { args: ["PASSWORD"] },
    });
    expect(called.status).toBe(200);
    expect(called.body.result).toMatchObject({ value: "***", length: secret.length });
    expect(called.body.output).toContain("the password is ***\n");
    expect(called.text).not.toContain(canary);

    const refusals = [
      ["GET", `${base}/secrets/db/values`],
      ["GET", `${base}/secrets/db/export?format=json`],
      ["POST", `${base}/resolve`, { secrets: [{ name: "db" }] }],
      ["POST", `${base}/resolve`, { secrets: [{ name: "db", version: 1 }] }],
      ["POST", `${base}/apps/${app}/deployments`, { bundle, functions: [] }],
      ["POST", "/v1/tokens", { role: "developer" }],
    ] as const;
    for (const [method, path, body] of refusals) {
      const answer = await call(method, path, { token: invoker, ...(body ? { body } : {}) });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error.code).toBe("permission_denied");
      expect(answer.text).not.toContain(canary);
    }
    // It sees names and keys, and the app without its code.
    const shown = await call("GET", `${base}/secrets/db`, { token: invoker });
    expect(shown.body.keys).toEqual(["PASSWORD"]);
    const deployed = await call("GET", `${base}/apps/${app}`, { token: invoker });
    expect(deployed.status).toBe(200);
    expect(deployed.body.bundle).toBeUndefined();

    const audit = await call("GET", "/v1/audit?limit=50");
    const entries = audit.body.entries as {
      action: string;
      actor: string;
      tokenId: string;
      secret: string;
    }[];
    const own = entries.filter((entry) => entry.tokenId === made.body.token.id);
    expect(own.find((entry) => entry.action === "function.call")).toMatchObject({
      actor: "caller-bot",
      target: `${app}/show`,
    });
    expect(own.find((entry) => entry.action === "container.start")).toMatchObject({
      actor: "caller-bot",
      secret: "db",
      version: shown.body.version,
    });
    expect(own.filter((entry) => !["function.call", "container.start"].includes(entry.action))).toEqual([]);
    expect(audit.text).not.toContain(canary);
    expect(lines.join("")).not.toContain(canary);
  });

  it("keeps an invoker token limited to one environment out of the others' functions", async () => {
    expect((await call("POST", "/v1/environments", { body: { name: "elsewhere" } })).status).toBe(201);
    const made = await call("POST", "/v1/tokens", { body: { role: "invoker", environment: "elsewhere" } });
    const refused = await call("POST", `${base}/apps/${app}/functions/show/call`, {
      token: made.body.value,
      body: { args: ["PASSWORD"] },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(
      "This token is limited to environment 'elsewhere': it cannot act in 'main'",
    );
    expect(refused.text).not.toContain(canary);
  });

  it("refuses a viewer, an unknown function and a bad body", async () => {
    const viewer = await tokenWithRole("viewer");
    const refused = await call("POST", `${base}/apps/${app}/functions/show/call`, {
      token: viewer,
      body: { args: ["PASSWORD"] },
    });
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain(canary);
    expect(
      (await call("POST", `${base}/apps/${app}/functions/nope/call`, { body: { args: [] } })).status,
    ).toBe(404);
    expect(
      (await call("POST", `${base}/apps/${app}/functions/show/call`, { body: { args: "x" } })).status,
    ).toBe(400);
  });

  it("stops its containers when the server closes", async () => {
    expect(
      (await call("POST", `${base}/apps/${app}/functions/show/call`, { body: { args: ["MODE"] } })).status,
    ).toBe(200);
    expect(containerProcesses().length).toBeGreaterThan(0); // the warm container (and a spare)
    closed = true;
    await server.close();
    await lockbox.close();
    expect(containerProcesses()).toEqual([]);
  });
});
