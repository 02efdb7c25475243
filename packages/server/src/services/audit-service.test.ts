import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PermissionDeniedError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox, testActor } from "../test-support/temp-lockbox.js";

let box: TempLockbox;
beforeEach(async () => {
  box = await openTempLockbox();
});
afterEach(async () => {
  await box.dispose();
});

describe("createAuditService", () => {
  it("lists entries newest first with who, what and where", async () => {
    const developer = {
      ...testActor(box.workspaceId, "developer", "dev"),
      source: { address: "10.0.0.1", userAgent: "ua/1" },
    };
    const ref = { environment: "main", name: "db" };
    await box.services.secrets.create(developer, { ...ref, values: { A: "1" } });
    await box.services.secrets.reveal(developer, ref);
    const entries = await box.services.audit.list(box.admin);
    expect(entries.map((entry) => entry.action)).toEqual(["secret.reveal", "secret.create"]);
    expect(entries[0]).toMatchObject({
      actor: "dev",
      environment: "main",
      secret: "db",
      version: 1,
      source: "10.0.0.1",
      userAgent: "ua/1",
    });
    expect(entries[0]).not.toHaveProperty("workspaceId");
  });

  it("pages with limit and beforeId", async () => {
    for (let i = 0; i < 5; i++) {
      await box.services.secrets.create(box.admin, { environment: "main", name: `s${i}`, values: {} });
    }
    const first = await box.services.audit.list(box.admin, { limit: 2 });
    expect(first.map((entry) => entry.secret)).toEqual(["s4", "s3"]);
    const next = await box.services.audit.list(box.admin, { limit: 2, beforeId: first[1]?.id });
    expect(next.map((entry) => entry.secret)).toEqual(["s2", "s1"]);
  });

  it("shows only the actor's workspace", async () => {
    const creator = { ...box.admin, canCreateWorkspaces: true };
    const { adminToken } = await box.services.workspaces.create(creator, "other");
    const outsider = await box.lockbox.authenticate(adminToken);
    await box.services.secrets.create(box.admin, { environment: "main", name: "mine", values: {} });
    const theirs = await box.services.audit.list(outsider);
    expect(theirs.map((entry) => entry.action)).toEqual(["workspace.create"]);
  });

  it("is for admins only", async () => {
    await expect(box.services.audit.list(testActor(box.workspaceId, "developer"))).rejects.toThrow(
      PermissionDeniedError,
    );
  });
});
