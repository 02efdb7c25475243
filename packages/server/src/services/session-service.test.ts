import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuthenticationError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox } from "../test-support/temp-lockbox.js";
import { hashToken } from "./token-credentials.js";

const canary = "CANARY-session-service-61f0d3b2";
const source = { address: "192.0.2.7", userAgent: "test" };

let box: TempLockbox;

beforeEach(async () => {
  box = await openTempLockbox();
});
afterEach(async () => {
  vi.useRealTimers();
  await box.dispose();
});

const sessions = () => box.lockbox.sessions;

async function issue(options: { role?: "admin" | "developer" | "viewer"; expiresInSeconds?: number } = {}) {
  return box.services.tokens.create(box.admin, { name: "issued", ...options });
}

describe("createSessionService", () => {
  it("stores only the hash of the cookie and resumes the session with it", async () => {
    const { value } = await issue({ role: "developer" });
    const { cookie, session } = await sessions().create(value, source);
    expect(session.actor).toEqual({ name: "issued", role: "developer", workspace: "default" });
    const resumed = await sessions().resume(cookie, source);
    expect(resumed.csrf).toBe(session.csrfToken);
    expect(resumed.actor).toMatchObject({ role: "developer", workspaceId: box.workspaceId, source });
    const row = await box.store.sessions.findByHash(hashToken(cookie));
    expect(row).toBeDefined();
    expect(JSON.stringify(row)).not.toContain(cookie);
    expect(JSON.stringify(row)).not.toContain(value);
  });

  it("ends a session when its token expires, by the same rule as a bearer token", async () => {
    const { value } = await issue({ expiresInSeconds: 30 * 60 });
    const { cookie } = await sessions().create(value, source);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    vi.setSystemTime(Date.now() + 31 * 60_000);
    await expect(box.lockbox.authenticate(value)).rejects.toThrow(AuthenticationError);
    await expect(sessions().resume(cookie, source)).rejects.toThrow(AuthenticationError);
    await expect(sessions().resume(cookie, source)).rejects.toThrow("The session has ended");
  });

  it("files a failed sign-in under a known token's workspace, and an unknown one under default", async () => {
    const { token, value } = await issue();
    await box.services.tokens.revoke(box.admin, token.id);
    await expect(sessions().create(value, source)).rejects.toThrow(AuthenticationError);
    await expect(sessions().create(`lbx_${canary}`, source)).rejects.toThrow(AuthenticationError);
    const entries = await box.services.audit.list(box.admin);
    const failed = entries.filter((entry) => entry.action === "session.failed");
    expect(failed).toEqual([
      expect.objectContaining({ actor: "unknown token", tokenId: null, source: source.address }),
      expect.objectContaining({ actor: "issued", tokenId: token.id, source: source.address }),
    ]);
    expect(JSON.stringify(entries)).not.toContain(canary);
    expect(JSON.stringify(entries)).not.toContain(value);
  });

  it("removes sessions that ended when a new one starts", async () => {
    const { value } = await issue();
    const { cookie } = await sessions().create(value, source);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    vi.setSystemTime(Date.now() + 2 * 60 * 60_000);
    await sessions().create(value, source);
    expect(await box.store.sessions.findByHash(hashToken(cookie))).toBeUndefined();
  });
});
