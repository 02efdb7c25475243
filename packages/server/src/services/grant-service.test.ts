import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuthenticationError, InvalidError, NotFoundError, PermissionDeniedError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox, testActor } from "../test-support/temp-lockbox.js";

let box: TempLockbox;
beforeEach(async () => {
  box = await openTempLockbox();
  await box.services.secrets.create(box.admin, {
    environment: "main",
    name: "db",
    values: { PGPASSWORD: "pw-1" },
  });
  await box.services.secrets.create(box.admin, {
    environment: "main",
    name: "api",
    values: { TOKEN: "t-1" },
  });
});
afterEach(async () => {
  vi.useRealTimers();
  await box.dispose();
});

const grants = () => box.services.grants;
const request = { environment: "main", secrets: [{ name: "db" }, { name: "api", requiredKeys: ["TOKEN"] }] };

describe("createGrantService", () => {
  it("issues a grant naming the versions it covers, and redeems it for exactly those secrets", async () => {
    const grant = await grants().create(box.admin, request);
    expect(grant.token).toMatch(/^lbg_/);
    expect(grant.secrets).toEqual([
      { name: "db", version: 1 },
      { name: "api", version: 1 },
    ]);
    const resolved = await box.lockbox.redeemGrant(grant.token);
    expect(resolved).toEqual([
      { name: "db", version: 1, values: { PGPASSWORD: "pw-1" } },
      { name: "api", version: 1, values: { TOKEN: "t-1" } },
    ]);
  });

  it("reads the versions it was issued for, even after an edit", async () => {
    const grant = await grants().create(box.admin, request);
    await box.services.secrets.update(box.admin, {
      environment: "main",
      name: "db",
      set: { PGPASSWORD: "pw-2" },
    });
    const [db] = await box.lockbox.redeemGrant(grant.token);
    expect(db).toEqual({ name: "db", version: 1, values: { PGPASSWORD: "pw-1" } });
  });

  it("redeems each grant once", async () => {
    const grant = await grants().create(box.admin, request);
    await box.lockbox.redeemGrant(grant.token);
    await expect(box.lockbox.redeemGrant(grant.token)).rejects.toThrow(AuthenticationError);
  });

  it("refuses an expired grant and an unknown token", async () => {
    const grant = await grants().create(box.admin, { ...request, ttlSeconds: 1 });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 2000);
    await expect(box.lockbox.redeemGrant(grant.token)).rejects.toThrow(
      "The container credential is not valid: it is unknown, expired or already used",
    );
    await expect(box.lockbox.redeemGrant("lbg_made_up")).rejects.toThrow(AuthenticationError);
  });

  it("fails before issuing anything when a secret or a required key is missing", async () => {
    await expect(
      grants().create(box.admin, { environment: "main", secrets: [{ name: "nope" }] }),
    ).rejects.toThrow(NotFoundError);
    await expect(
      grants().create(box.admin, {
        environment: "main",
        secrets: [{ name: "db", requiredKeys: ["K1", "K2"] }],
      }),
    ).rejects.toThrow("Secret 'db' is missing key(s): K1, K2");
  });

  it("needs the developer role and a sane lifetime", async () => {
    await expect(grants().create(testActor(box.workspaceId, "viewer"), request)).rejects.toThrow(
      PermissionDeniedError,
    );
    await expect(grants().create(box.admin, { ...request, ttlSeconds: 3600 })).rejects.toThrow(InvalidError);
  });

  it("audits each container start and sets last used at", async () => {
    const grant = await grants().create(box.admin, request);
    await box.lockbox.redeemGrant(grant.token);
    const entries = await box.services.audit.list(box.admin);
    const starts = entries.filter((entry) => entry.action === "container.start");
    expect(starts.map((entry) => entry.secret).sort()).toEqual(["api", "db"]);
    const listed = await box.services.secrets.list(box.admin, { environment: "main" });
    expect(listed.every((secret) => secret.lastUsedAt !== null)).toBe(true);
  });
});

describe("grants and the token that made them", () => {
  it("ends a grant when its token is revoked", async () => {
    const { token: tokenInfo, value } = await box.services.tokens.create(box.admin, { role: "developer" });
    const developer = await box.lockbox.authenticate(value);
    const grant = await grants().create(developer, request);
    await box.services.tokens.revoke(box.admin, tokenInfo.id);
    await expect(box.lockbox.redeemGrant(grant.token)).rejects.toThrow(AuthenticationError);
  });
});
