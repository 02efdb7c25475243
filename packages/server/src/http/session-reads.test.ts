import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CallOptions, startTestServer, type TestServer } from "../test-support/test-server.js";

const canary = "CANARY-session-reads-5c2e8b";
const main = "/v1/environments/main";
const secret = `${main}/secrets/read-by-session`;

let server: TestServer;
let cookie: string;
let csrf: string;

beforeAll(async () => {
  server = await startTestServer();
  const signedIn = await server.call("POST", "/v1/sessions", {
    token: null,
    body: { token: server.adminToken },
  });
  cookie = /^lockbox_session=[^;]*/.exec(signedIn.headers.get("set-cookie") ?? "")?.[0] ?? "";
  csrf = signedIn.body.csrfToken;
  await server.call("POST", `${main}/secrets`, { body: { name: "read-by-session", values: { K: canary } } });
  const bundle = `export const env = ${JSON.stringify(canary)};`;
  const deployed = await server.call("POST", `${main}/apps/read-app/deployments`, {
    body: { bundle, functions: [{ name: "f", index: 0, secrets: [], env: { E: canary } }] },
  });
  expect(deployed.status).toBe(201);
});
afterAll(() => server.dispose());

/** A browser's request: the session cookie, and the CSRF header when `withCsrf`. */
const browser = (withCsrf: boolean): CallOptions => ({
  token: null,
  headers: { cookie, ...(withCsrf ? { "x-csrf-token": csrf } : {}) },
});

const readEntries = async () =>
  (await server.call("GET", "/v1/audit?limit=1000")).body.entries.filter((entry: { action: string }) =>
    ["secret.reveal", "secret.export"].includes(entry.action),
  );

const valueReads = [
  ["GET", `${secret}/values`],
  ["GET", `${secret}/export?format=json`],
  ["HEAD", `${secret}/values`],
  ["GET", `${main}/apps/read-app`],
  ["GET", `${main}/apps`],
] as const;

describe("a session's requests that return values", () => {
  it.each(
    valueReads,
  )("refuse %s %s without the CSRF header, and leave no read in the audit log", async (method, path) => {
    for (const headers of [{}, { "x-csrf-token": "" }, { "x-csrf-token": `${csrf.slice(0, -1)}x` }]) {
      const answer = await server.call(method, path, { token: null, headers: { cookie, ...headers } });
      expect(answer.status).toBe(403);
      expect(answer.text).not.toContain(canary);
      if (method !== "HEAD")
        expect(answer.body.error).toMatchObject({
          code: "permission_denied",
          message: expect.stringContaining("return values must send the header 'x-csrf-token'"),
        });
    }
    expect(await readEntries()).toEqual([]);
  });

  it("answer with the CSRF header, each read audited", async () => {
    const revealed = await server.call("GET", `${secret}/values`, browser(true));
    expect(revealed.status).toBe(200);
    expect(revealed.body.values).toEqual({ K: canary });
    expect((await server.call("GET", `${secret}/export?format=json`, browser(true))).status).toBe(200);
    const app = await server.call("GET", `${main}/apps/read-app`, browser(true));
    expect(app.body.functions[0].env).toEqual({ E: canary });
    expect((await readEntries()).map((entry: { action: string }) => entry.action)).toEqual([
      "secret.export",
      "secret.reveal",
    ]);
  });

  it("that return no value need no CSRF header", async () => {
    for (const path of [`${main}/secrets`, secret, `${secret}/history`, "/v1/audit", "/v1/session"])
      expect((await server.call("GET", path, browser(false))).status, path).toBe(200);
  });

  it("include no route that answers a value to the cookie alone: every GET of the OpenAPI document", async () => {
    const openapi = (await server.call("GET", "/openapi.json", { token: null })).body;
    const paths = Object.keys(openapi.paths).filter((path) => openapi.paths[path].get);
    expect(paths.length).toBeGreaterThan(10);
    for (const template of paths) {
      const path = template
        .replace("{environment}", "main")
        .replace("/apps/{name}", "/apps/read-app")
        .replace("/secrets/{name}", "/secrets/read-by-session")
        .replaceAll(/\{[a-z]+\}/gi, "x");
      const answer = await server.call("GET", `${path}?format=json`, browser(false));
      expect(answer.text, path).not.toContain(canary);
    }
    expect(await readEntries()).toHaveLength(2);
  });
});
