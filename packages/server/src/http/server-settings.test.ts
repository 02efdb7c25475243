import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

let server: TestServer;

// Written as on the command line (--session-lifetime 90s …), far from every default.
beforeAll(async () => {
  server = await startTestServer({
    sessionLifetimeSeconds: "90s",
    sessionIdleSeconds: "2m",
    maxFailedSignIns: "1",
  });
});
afterAll(() => server.dispose());
afterEach(() => {
  vi.useRealTimers();
});

const signIn = (token: string) => server.call("POST", "/v1/sessions", { token: null, body: { token } });

function cookieOf(answer: { headers: Headers }): string {
  return /^(lockbox_session=[^;]*)/.exec(answer.headers.get("set-cookie") ?? "")?.[1] ?? "";
}

const resume = (cookie: string) => server.call("GET", "/v1/session", { token: null, headers: { cookie } });

describe("lockbox server's session and sign-in settings", () => {
  it("ends a session --session-lifetime after sign-in", async () => {
    const before = Date.now();
    const answer = await signIn(server.adminToken);
    const after = Date.now();
    expect(answer.status).toBe(201);
    const expiresAt = Date.parse(answer.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 90_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 90_000);
  });

  it("ends a session unused for --session-idle-timeout", async () => {
    const cookie = cookieOf(await signIn(server.adminToken));
    const signedInAt = Date.now();
    vi.useFakeTimers({ toFake: ["Date"], now: signedInAt });
    vi.setSystemTime(signedInAt + 30_000);
    expect((await resume(cookie)).status).toBe(200);
    // Unused since sign-in (a use 30 s in does not yet move "last seen"): past 2 minutes, ended.
    vi.setSystemTime(signedInAt + 150_000);
    expect((await resume(cookie)).status).toBe(401);
  });

  // Last: it locks this address out of sign-in for the rest of the minute.
  it("refuses an address the right token after --max-failed-sign-ins failures", async () => {
    expect((await signIn("lbx_wrong_sign_in")).status).toBe(401);
    expect((await signIn(server.adminToken)).status).toBe(429);
  });
});
