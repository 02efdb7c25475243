import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { databaseFileName } from "../lockbox.js";
import { AuthenticationError, InvalidError, NotFoundError, PermissionDeniedError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox, testActor } from "../test-support/temp-lockbox.js";
import { usesPostgres } from "../test-support/test-database.js";

let box: TempLockbox;
beforeEach(async () => {
  box = await openTempLockbox();
});
afterEach(async () => {
  vi.useRealTimers();
  await box.dispose();
});

const tokens = () => box.services.tokens;
const authenticate = (value: string) => box.lockbox.authenticate(value);
const invalidToken = "The token is not valid: it is unknown, expired or revoked";

function tokenRows(): Record<string, unknown>[] {
  const db = new SqliteDatabase(join(box.dataDir, databaseFileName), { readonly: true });
  try {
    return db.prepare("select * from tokens").all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

describe("createTokenService", () => {
  it("creates a token that authenticates as its workspace and role", async () => {
    const { token, value } = await tokens().create(box.admin, { role: "viewer", name: "ci" });
    expect(value).toMatch(/^lbx_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({
      name: "ci",
      role: "viewer",
      workspace: "default",
      revokedAt: null,
      expiresAt: null,
    });
    expect(JSON.stringify(token)).not.toContain(value);

    const actor = await authenticate(value);
    expect(actor).toMatchObject({
      workspaceId: box.workspaceId,
      role: "viewer",
      name: "ci",
      tokenId: token.id,
      canCreateWorkspaces: false,
    });
  });

  it("defaults to the developer role", async () => {
    const { value } = await tokens().create(box.admin, {});
    expect((await authenticate(value)).role).toBe("developer");
  });

  // SQLite only: it reads the database file itself.
  it.skipIf(usesPostgres)("stores the token's SHA-256 hash and never its value", async () => {
    const { token, value } = await tokens().create(box.admin, { role: "admin" });
    const row = tokenRows().find((r) => r.id === token.id);
    expect(row?.hash).toBe(createHash("sha256").update(value).digest("hex"));
    expect(JSON.stringify(tokenRows())).not.toContain(value);
    expect(JSON.stringify(tokenRows())).not.toContain(value.slice(4));
    await box.close();
    for (const name of readdirSync(box.dataDir)) {
      expect(readFileSync(join(box.dataDir, name)).includes(Buffer.from(value.slice(4)))).toBe(false);
    }
  });

  it("never lists a value or a hash", async () => {
    const { value } = await tokens().create(box.admin, { name: "listed" });
    const listed = await tokens().list(box.admin);
    expect(listed.map((t) => t.name)).toEqual(["listed"]);
    const text = JSON.stringify(listed);
    expect(text).not.toContain(value);
    expect(text).not.toContain(createHash("sha256").update(value).digest("hex"));
    expect(JSON.stringify(await box.services.audit.list(box.admin))).not.toContain(value);
  });

  it("refuses an unknown token", async () => {
    await expect(authenticate("lbx_not-a-real-token")).rejects.toThrow(AuthenticationError);
    await expect(authenticate("")).rejects.toThrow(invalidToken);
  });

  it("refuses a revoked token", async () => {
    const { token, value } = await tokens().create(box.admin, {});
    await authenticate(value);
    await tokens().revoke(box.admin, token.id);
    await expect(authenticate(value)).rejects.toThrow(AuthenticationError);
    await expect(authenticate(value)).rejects.toThrow(invalidToken);
    expect((await tokens().list(box.admin))[0]?.revokedAt).not.toBeNull();
    // Revoking twice is harmless.
    await tokens().revoke(box.admin, token.id);
  });

  it("refuses an expired token", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00.000Z"));
    const { token, value } = await tokens().create(box.admin, { expiresInSeconds: 60 });
    expect(token.expiresAt).toBe("2030-01-01T00:01:00.000Z");
    vi.setSystemTime(new Date("2030-01-01T00:00:59.000Z"));
    await expect(authenticate(value)).resolves.toMatchObject({ tokenId: token.id });
    vi.setSystemTime(new Date("2030-01-01T00:01:00.000Z"));
    await expect(authenticate(value)).rejects.toThrow(invalidToken);
  });

  it("makes no token that outlives the short-lived token that asks for it", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00.000Z"));
    // As an identity's exchanged admin token is: an hour to live.
    const { value } = await tokens().create(box.admin, { role: "admin", expiresInSeconds: 3600 });
    const shortLived = await authenticate(value);
    const forever = await tokens().create(shortLived, {});
    expect(forever.token.expiresAt).toBe("2030-01-01T01:00:00.000Z");
    const longer = await tokens().create(shortLived, { expiresInSeconds: 7200 });
    expect(longer.token.expiresAt).toBe("2030-01-01T01:00:00.000Z");
    const shorter = await tokens().create(shortLived, { expiresInSeconds: 60 });
    expect(shorter.token.expiresAt).toBe("2030-01-01T00:01:00.000Z");
    // A token without an expiry still makes tokens without one.
    expect((await tokens().create(box.admin, {})).token.expiresAt).toBeNull();
  });

  it("records when a token was last used", async () => {
    const { token, value } = await tokens().create(box.admin, {});
    expect((await tokens().list(box.admin)).find((t) => t.id === token.id)?.lastUsedAt).toBeNull();
    await authenticate(value);
    expect((await tokens().list(box.admin)).find((t) => t.id === token.id)?.lastUsedAt).not.toBeNull();
  });

  it("rejects invalid input", async () => {
    await expect(tokens().create(box.admin, { role: "owner" as never })).rejects.toThrow(
      "Invalid role 'owner': use one of viewer, invoker, developer, admin",
    );
    await expect(tokens().create(box.admin, { expiresInSeconds: 0 })).rejects.toThrow(InvalidError);
    await expect(tokens().create(box.admin, { expiresInSeconds: -5 })).rejects.toThrow(InvalidError);
    await expect(tokens().create(box.admin, { expiresInSeconds: Number.NaN })).rejects.toThrow(InvalidError);
    expect(await tokens().list(box.admin)).toEqual([]);
  });

  it("lets only admins create, list and revoke tokens", async () => {
    const { token } = await tokens().create(box.admin, {});
    const developer = testActor(box.workspaceId, "developer");
    await expect(tokens().create(developer, { role: "admin" })).rejects.toThrow(PermissionDeniedError);
    await expect(tokens().list(developer)).rejects.toThrow(PermissionDeniedError);
    await expect(tokens().revoke(developer, token.id)).rejects.toThrow(PermissionDeniedError);
  });

  it("keeps tokens per workspace", async () => {
    const creator = { ...box.admin, canCreateWorkspaces: true };
    const { adminToken } = await box.services.workspaces.create(creator, "other");
    const outsider = await authenticate(adminToken);
    const { token } = await tokens().create(box.admin, { name: "mine" });

    expect((await tokens().list(outsider)).map((t) => t.name)).toEqual(["other admin"]);
    await expect(tokens().revoke(outsider, token.id)).rejects.toThrow(NotFoundError);
    await expect(tokens().create(outsider, { workspace: "default" })).rejects.toThrow(PermissionDeniedError);
    // The same refusal for a workspace that does not exist: no probing for other workspaces' names.
    await expect(tokens().create(outsider, { workspace: "nope" })).rejects.toThrow(PermissionDeniedError);
    await expect(tokens().create(creator, { workspace: "nope" })).rejects.toThrow(
      "Workspace 'nope' not found",
    );

    // A workspace creator may issue tokens for another workspace.
    const { value } = await tokens().create(creator, { workspace: "other", role: "viewer" });
    expect((await authenticate(value)).workspaceId).toBe(outsider.workspaceId);
  });
});
