import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type ApiAnswer,
  type CallOptions,
  startTestServer,
  type TestServer,
} from "../test-support/test-server.js";

const canary = "CANARY-session-4d1b7e09-do-not-leak";
const secrets = "/v1/environments/main/secrets";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.dispose());
afterEach(() => {
  vi.useRealTimers();
});

interface SignedIn {
  answer: ApiAnswer;
  setCookie: string;
  /** The `Cookie` header a browser would send back. */
  cookie: string;
  csrf: string;
}

async function signIn(token: string, on = server): Promise<SignedIn> {
  const answer = await on.call("POST", "/v1/sessions", { token: null, body: { token } });
  const setCookie = answer.headers.get("set-cookie") ?? "";
  const value = /^lockbox_session=([^;]*)/.exec(setCookie)?.[1] ?? "";
  return { answer, setCookie, cookie: `lockbox_session=${value}`, csrf: answer.body?.csrfToken };
}

/** Call options of a browser with this session's cookie, echoing `csrf` when given. */
function browser(session: SignedIn, csrf?: string, body?: unknown): CallOptions {
  return {
    token: null,
    headers: { cookie: session.cookie, ...(csrf === undefined ? {} : { "x-csrf-token": csrf }) },
    ...(body === undefined ? {} : { body }),
  };
}

async function tokenWithRole(role: string): Promise<{ id: string; value: string }> {
  const answer = await server.call("POST", "/v1/tokens", { body: { role, name: `${role} for sessions` } });
  expect(answer.status).toBe(201);
  return { id: answer.body.token.id, value: answer.body.value };
}

async function auditActions(on = server): Promise<string[]> {
  const audit = await on.call("GET", "/v1/audit?limit=1000");
  return audit.body.entries.map((entry: { action: string }) => entry.action);
}

describe("signing in", () => {
  it("sets an HttpOnly SameSite=Strict cookie and never echoes the token", async () => {
    const session = await signIn(server.adminToken);
    expect(session.answer.status).toBe(201);
    expect(session.setCookie).toMatch(
      /^lockbox_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/,
    );
    expect(session.answer.body).toEqual({
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      actor: { name: "bootstrap", role: "admin", workspace: "default" },
      expiresAt: expect.any(String),
    });
    const lifetimeMs = Date.parse(session.answer.body.expiresAt) - Date.now();
    expect(lifetimeMs).toBeGreaterThan(12 * 3600_000 - 60_000);
    expect(lifetimeMs).toBeLessThanOrEqual(12 * 3600_000);
    expect(session.answer.text).not.toContain(server.adminToken);
    expect(session.setCookie).not.toContain(server.adminToken);
    expect(session.cookie).not.toContain(session.csrf);
    expect(await auditActions()).toContain("session.create");
  });

  it("restores the session with the cookie alone", async () => {
    const session = await signIn(server.adminToken);
    const restored = await server.call("GET", "/v1/session", browser(session));
    expect(restored.status).toBe(200);
    expect(restored.body).toEqual(session.answer.body);
    expect(restored.headers.get("cache-control")).toBe("no-store");
  });

  it("answers 401 to GET /v1/session without a cookie, and to an unknown cookie while clearing it", async () => {
    expect((await server.call("GET", "/v1/session", { token: null })).status).toBe(401);
    const unknown = await server.call("GET", "/v1/session", {
      token: null,
      headers: { cookie: "lockbox_session=not-a-session" },
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe("unauthenticated");
    expect(unknown.headers.get("set-cookie")).toMatch(/^lockbox_session=; .*Max-Age=0$/);
  });

  it("refuses a wrong token with 401 in the error format and sets no cookie", async () => {
    const wrong = await signIn(`lbx_${canary}`);
    expect(wrong.answer.status).toBe(401);
    expect(wrong.answer.body.error.code).toBe("unauthenticated");
    expect(wrong.setCookie).toBe("");
    expect(wrong.answer.text).not.toContain(canary);
  });

  it("accepts only a JSON body, so a cross-site form cannot sign a browser in", async () => {
    const form = await fetch(`${server.url}/v1/sessions`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `token=${server.adminToken}`,
    });
    expect(form.status).toBe(415);
    expect(form.headers.get("set-cookie")).toBeNull();
    const text = await fetch(`${server.url}/v1/sessions`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ token: server.adminToken }),
    });
    expect(text.status).toBe(400);
    expect(text.headers.get("set-cookie")).toBeNull();
  });
});

describe("CSRF", () => {
  it("refuses a state-changing request without or with a wrong x-csrf-token, and changes nothing", async () => {
    const session = await signIn(server.adminToken);
    const body = { name: "csrf-target", values: { A: canary } };
    for (const csrf of [undefined, "", "wrong", `${session.csrf.slice(0, -1)}x`]) {
      const refused = await server.call("POST", secrets, browser(session, csrf, body));
      expect(refused.status, String(csrf)).toBe(403);
      expect(refused.body.error).toMatchObject({
        code: "permission_denied",
        message: expect.stringMatching(
          /^Missing or wrong CSRF token: a session's requests that change something or return values must send the header 'x-csrf-token'/,
        ),
      });
    }
    expect((await server.call("GET", `${secrets}/csrf-target`)).status).toBe(404);
    const signOut = await server.call("DELETE", "/v1/session", browser(session));
    expect(signOut.status).toBe(403);
    expect((await server.call("GET", "/v1/session", browser(session))).status).toBe(200);
  });

  it("lets a state-changing request with the right x-csrf-token through", async () => {
    const session = await signIn(server.adminToken);
    const created = await server.call(
      "POST",
      secrets,
      browser(session, session.csrf, { name: "by-session", values: { A: "1" } }),
    );
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatchObject({ name: "by-session", createdBy: "bootstrap" });
    const patched = await server.call(
      "PATCH",
      `${secrets}/by-session`,
      browser(session, session.csrf, { set: { B: "2" } }),
    );
    expect(patched.body).toMatchObject({ version: 2, keys: ["A", "B"] });
  });

  it("does not ask a bearer-token request for a CSRF token, cookie or not", async () => {
    const answer = await server.call("POST", secrets, {
      headers: { cookie: "lockbox_session=whatever" },
      body: { name: "by-bearer", values: { A: "1" } },
    });
    expect(answer.status).toBe(201);
  });
});

describe("ending a session", () => {
  it("signs out: clears the cookie, and the session no longer works", async () => {
    const session = await signIn(server.adminToken);
    const signedOut = await server.call("DELETE", "/v1/session", browser(session, session.csrf));
    expect(signedOut.status).toBe(200);
    expect(signedOut.body).toEqual({ deleted: true });
    expect(signedOut.headers.get("set-cookie")).toBe(
      "lockbox_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
    );
    expect((await server.call("GET", "/v1/session", browser(session))).status).toBe(401);
    expect((await server.call("GET", secrets, browser(session))).status).toBe(401);
    expect(await auditActions()).toContain("session.delete");
  });

  it("ends the session of a revoked token at its next request", async () => {
    const token = await tokenWithRole("developer");
    const session = await signIn(token.value);
    expect((await server.call("GET", secrets, browser(session))).status).toBe(200);
    expect((await server.call("DELETE", `/v1/tokens/${token.id}`)).status).toBe(200);
    const next = await server.call("GET", secrets, browser(session));
    expect(next.status).toBe(401);
    expect(next.headers.get("set-cookie")).toMatch(/Max-Age=0$/);
    expect((await server.call("GET", "/v1/session", browser(session))).status).toBe(401);
    expect((await signIn(token.value)).answer.status).toBe(401);
  });

  it("ends a session idle for an hour", async () => {
    const session = await signIn(server.adminToken);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    vi.setSystemTime(Date.now() + 50 * 60_000);
    expect((await server.call("GET", "/v1/session", browser(session))).status).toBe(200);
    vi.setSystemTime(Date.now() + 61 * 60_000);
    const idle = await server.call("GET", "/v1/session", browser(session));
    expect(idle.status).toBe(401);
    expect(idle.headers.get("set-cookie")).toMatch(/Max-Age=0$/);
  });

  it("ends a session in use 12 hours after sign-in", async () => {
    const session = await signIn(server.adminToken);
    const expiresAt = Date.parse(session.answer.body.expiresAt);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    while (Date.now() + 50 * 60_000 < expiresAt) {
      vi.setSystemTime(Date.now() + 50 * 60_000);
      expect((await server.call("GET", "/v1/session", browser(session))).status).toBe(200);
    }
    vi.setSystemTime(expiresAt);
    expect((await server.call("GET", "/v1/session", browser(session))).status).toBe(401);
  });
});

describe("roles in a session", () => {
  it("lets a viewer session list names and keys but not reveal values", async () => {
    await server.call("POST", secrets, { body: { name: "viewed-in-browser", values: { KEY: canary } } });
    const viewer = await tokenWithRole("viewer");
    const session = await signIn(viewer.value);
    expect(session.answer.body.actor).toMatchObject({ role: "viewer", name: "viewer for sessions" });
    const listed = await server.call("GET", secrets, browser(session));
    expect(listed.status).toBe(200);
    expect(listed.body.secrets.map((s: { name: string }) => s.name)).toContain("viewed-in-browser");
    const revealed = await server.call("GET", `${secrets}/viewed-in-browser/values`, browser(session));
    expect(revealed.status).toBe(403);
    expect(revealed.text).not.toContain(canary);
  });
});

describe("failed sign-ins", () => {
  it("are rate limited per address and audited without token material", async () => {
    const own = await startTestServer();
    try {
      // Successful sign-ins do not count towards the limit.
      for (let i = 0; i < 12; i++) expect((await signIn(own.adminToken, own)).answer.status).toBe(201);
      const wrong = Array.from({ length: 10 }, (_, i) => `lbx_${canary}_${i}`);
      for (const token of wrong) expect((await signIn(token, own)).answer.status).toBe(401);
      const limited = await signIn(own.adminToken, own);
      expect(limited.answer.status).toBe(429);
      expect(limited.answer.body.error).toMatchObject({
        code: "rate_limited",
        message: expect.stringMatching(/^Too many failed sign-ins from this address: try again in \d+ s$/),
      });
      expect(limited.setCookie).toBe("");

      const audit = await own.call("GET", "/v1/audit?limit=1000");
      const failed = audit.body.entries.filter((e: { action: string }) => e.action === "session.failed");
      // Newest first: one entry says the limit was reached; the refused attempts after it leave none.
      expect(failed).toHaveLength(11);
      expect(failed[0]).toMatchObject({
        actor: "bootstrap",
        source: "127.0.0.1",
        target: "limit reached: 10 failed sign-ins in 60 s from this address",
      });
      expect((await signIn(own.adminToken, own)).answer.status).toBe(429);
      expect((await own.call("GET", "/v1/audit?limit=1000")).body.entries).toHaveLength(
        audit.body.entries.length,
      );
      expect(failed[1]).toMatchObject({
        actor: "unknown token",
        tokenId: null,
        source: "127.0.0.1",
        target: null,
      });
      expect(audit.text).not.toContain(canary);
      // Bearer requests are not sign-ins and go on working.
      expect((await own.call("GET", secrets)).status).toBe(200);
    } finally {
      await own.dispose();
    }
  });
});

describe("failed bearer tokens", () => {
  it("are audited, then answered 429 past the limit, while a valid token from the address still works", async () => {
    const own = await startTestServer();
    try {
      const wrong = Array.from({ length: 21 }, (_, i) => `lbx_${canary}_bearer_${i}`);
      const answers = [];
      for (const token of wrong) answers.push(await own.call("GET", secrets, { token }));
      expect(answers.slice(0, 20).map((answer) => answer.status)).toEqual(Array(20).fill(401));
      expect(answers[20]?.status).toBe(429);
      expect(answers[20]?.body.error).toMatchObject({
        code: "rate_limited",
        message: expect.stringMatching(
          /^Too many failed authentications from this address: try again in \d+ s$/,
        ),
      });
      expect((await own.call("GET", secrets)).status).toBe(200);

      const audit = await own.call("GET", "/v1/audit?limit=1000");
      const failed = audit.body.entries.filter((e: { action: string }) => e.action === "auth.failed");
      expect(failed).toHaveLength(21);
      expect(failed[0]).toMatchObject({
        actor: "unknown token",
        tokenId: null,
        source: "127.0.0.1",
        target: "limit reached: 20 failed authentications in 60 s from this address",
      });
      expect(failed.slice(1).map((entry: { target: string | null }) => entry.target)).toEqual(
        Array(20).fill(null),
      );
      expect(audit.text + answers.map((answer) => answer.text).join("")).not.toContain(canary);
    } finally {
      await own.dispose();
    }
  });
});

describe("OpenAPI", () => {
  it("lists the session routes", async () => {
    const answer = await server.call("GET", "/openapi.json", { token: null });
    expect(Object.keys(answer.body.paths)).toEqual(expect.arrayContaining(["/v1/sessions", "/v1/session"]));
    expect(answer.body.paths["/v1/sessions"].post.security).toEqual([]);
    expect(answer.body.components.securitySchemes.session).toEqual({
      type: "apiKey",
      in: "cookie",
      name: "lockbox_session",
    });
  });
});
