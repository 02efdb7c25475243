import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Lockbox, openLockbox } from "../lockbox.js";
import {
  AlreadyExistsError,
  AuthenticationError,
  InvalidError,
  PermissionDeniedError,
} from "../shared/errors.js";
import {
  makeTempDir,
  openTempLockbox,
  removeTempDir,
  type TempLockbox,
} from "../test-support/temp-lockbox.js";

describe("createWorkspaceService", () => {
  let box: TempLockbox;
  beforeEach(async () => {
    box = await openTempLockbox();
  });
  afterEach(async () => {
    await box.dispose();
  });

  const creator = () => ({ ...box.admin, canCreateWorkspaces: true });

  it("creates a workspace with main and an admin token for it", async () => {
    const { workspace, adminToken } = await box.services.workspaces.create(creator(), "team-b");
    expect(workspace.name).toBe("team-b");
    const actor = await box.lockbox.authenticate(adminToken);
    expect(actor).toMatchObject({ role: "admin", canCreateWorkspaces: false, name: "team-b admin" });
    expect(actor.workspaceId).not.toBe(box.workspaceId);
    expect((await box.services.environments.list(actor)).map((e) => e.name)).toEqual(["main"]);
    await box.services.secrets.create(actor, { environment: "main", name: "db", values: { A: "1" } });
    expect(await box.services.secrets.list(box.admin, { environment: "main" })).toEqual([]);
    const audit = await box.services.audit.list(actor);
    expect(audit.map((entry) => entry.action)).toContain("workspace.create");
  });

  it("lets only a workspace creator create workspaces", async () => {
    await expect(box.services.workspaces.create(box.admin, "team-b")).rejects.toThrow(PermissionDeniedError);
    await expect(box.services.workspaces.create(box.admin, "team-b")).rejects.toThrow(
      "Only the bootstrap token can create workspaces",
    );
    expect((await box.services.workspaces.list(creator())).map((w) => w.name)).toEqual(["default"]);
  });

  it("rejects a duplicate or invalid name", async () => {
    await box.services.workspaces.create(creator(), "team-b");
    await expect(box.services.workspaces.create(creator(), "team-b")).rejects.toThrow(AlreadyExistsError);
    await expect(box.services.workspaces.create(creator(), "default")).rejects.toThrow(
      "Workspace 'default' already exists",
    );
    await expect(box.services.workspaces.create(creator(), "-bad")).rejects.toThrow(InvalidError);
    await expect(box.services.workspaces.create(creator(), "w".repeat(65))).rejects.toThrow(InvalidError);
  });

  it("lists every workspace to a creator and only its own to others", async () => {
    const { adminToken } = await box.services.workspaces.create(creator(), "team-b");
    expect((await box.services.workspaces.list(creator())).map((w) => w.name).sort()).toEqual([
      "default",
      "team-b",
    ]);
    expect((await box.services.workspaces.list(box.admin)).map((w) => w.name)).toEqual(["default"]);
    const teamB = await box.lockbox.authenticate(adminToken);
    expect((await box.services.workspaces.list(teamB)).map((w) => w.name)).toEqual(["team-b"]);
  });
});

describe("bootstrap", () => {
  let dataDir: string;
  let lockbox: Lockbox;
  beforeEach(async () => {
    dataDir = makeTempDir();
    lockbox = await openLockbox({ dataDir });
  });
  afterEach(async () => {
    await lockbox.close();
    removeTempDir(dataDir);
  });

  it("creates the default workspace and a bootstrap token once", async () => {
    const value = await lockbox.bootstrap();
    expect(value).toMatch(/^lbx_/);
    const actor = await lockbox.authenticate(value ?? "");
    expect(actor).toMatchObject({ role: "admin", canCreateWorkspaces: true, name: "bootstrap" });
    expect(actor.workspaceId).toBe((await lockbox.ensureDefaultWorkspace("test")).id);
    expect((await lockbox.services.environments.list(actor)).map((e) => e.name)).toEqual(["main"]);

    expect(await lockbox.bootstrap()).toBeUndefined();
    expect(await lockbox.bootstrap({ token: "lbx_later" })).toBeUndefined();
    await expect(lockbox.authenticate("lbx_later")).rejects.toThrow(AuthenticationError);
    expect(await lockbox.services.tokens.list(actor)).toHaveLength(1);
    // The bootstrap token can create workspaces.
    await lockbox.services.workspaces.create(actor, "team-b");
  });

  it("uses an explicit token value and does not return it", async () => {
    const explicit = "lbx_explicit_bootstrap_token_for_automation";
    expect(await lockbox.bootstrap({ token: explicit })).toBeUndefined();
    const actor = await lockbox.authenticate(explicit);
    expect(actor).toMatchObject({ role: "admin", canCreateWorkspaces: true });
    expect(await lockbox.bootstrap({ token: explicit })).toBeUndefined();
    expect(await lockbox.services.tokens.list(actor)).toHaveLength(1);
  });

  it("reuses a default workspace that already exists", async () => {
    const existing = await lockbox.ensureDefaultWorkspace("test");
    const bootstrapAdmin = await lockbox.authenticate((await lockbox.bootstrap()) ?? "");
    expect(bootstrapAdmin.workspaceId).toBe(existing.id);
    expect(await lockbox.services.workspaces.list(bootstrapAdmin)).toHaveLength(1);
  });

  it("survives a restart without issuing another token", async () => {
    await lockbox.bootstrap();
    await lockbox.close();
    lockbox = await openLockbox({ dataDir });
    expect(await lockbox.bootstrap()).toBeUndefined();
  });
});

describe("bootstrap after the bootstrap token was revoked", () => {
  it("issues a new bootstrap token, but never revives a revoked value", async () => {
    const { openTempLockbox } = await import("../test-support/temp-lockbox.js");
    const box = await openTempLockbox();
    try {
      const first = await box.lockbox.bootstrap();
      expect(first).toEqual(expect.any(String));
      const row = (await box.services.tokens.list(box.admin)).find((token) => token.name === "bootstrap");
      await box.services.tokens.revoke(box.admin, row?.id ?? "");
      expect(await box.lockbox.bootstrap({ token: first })).toBeUndefined();
      const second = await box.lockbox.bootstrap();
      expect(second).toEqual(expect.any(String));
      expect(second).not.toBe(first);
    } finally {
      await box.dispose();
    }
  });
});
