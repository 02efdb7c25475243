import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { databaseFileName } from "../lockbox.js";
import { AlreadyExistsError, InvalidError, NotFoundError, PermissionDeniedError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox, testActor } from "../test-support/temp-lockbox.js";
import { usesPostgres } from "../test-support/test-database.js";

let box: TempLockbox;
beforeEach(async () => {
  box = await openTempLockbox();
});
afterEach(async () => {
  await box.dispose();
});

const environments = () => box.services.environments;

describe("createEnvironmentService", () => {
  it("starts a workspace with the main environment", async () => {
    expect((await environments().list(box.admin)).map((e) => e.name)).toEqual(["main"]);
  });

  it("creates environments and lists them by name", async () => {
    const created = await environments().create(box.admin, "prod");
    expect(created).toMatchObject({ name: "prod", createdBy: box.admin.name });
    expect(Date.parse(created.createdAt)).not.toBeNaN();
    await environments().create(box.admin, "dev");
    const viewer = testActor(box.workspaceId, "viewer");
    expect((await environments().list(viewer)).map((e) => e.name)).toEqual(["dev", "main", "prod"]);
    const audit = await box.services.audit.list(box.admin);
    expect(
      audit.filter((entry) => entry.action === "environment.create").map((entry) => entry.environment),
    ).toEqual(["dev", "prod"]);
  });

  it("rejects a duplicate name", async () => {
    await environments().create(box.admin, "prod");
    await expect(environments().create(box.admin, "prod")).rejects.toThrow(AlreadyExistsError);
    await expect(environments().create(box.admin, "main")).rejects.toThrow(
      "Environment 'main' already exists",
    );
  });

  it.each(["-prod", ".x", "has space", "e".repeat(65), ""])("rejects the name %j", async (name) => {
    await expect(environments().create(box.admin, name)).rejects.toThrow(InvalidError);
  });

  it("lets only admins create and delete", async () => {
    const developer = testActor(box.workspaceId, "developer");
    await expect(environments().create(developer, "prod")).rejects.toThrow(PermissionDeniedError);
    await environments().create(box.admin, "prod");
    await expect(environments().delete(developer, "prod")).rejects.toThrow(PermissionDeniedError);
    expect((await environments().list(developer)).map((e) => e.name)).toContain("prod");
  });

  it("deletes an environment with every secret and version in it", async () => {
    await environments().create(box.admin, "prod");
    const secrets = box.services.secrets;
    await secrets.create(box.admin, { environment: "prod", name: "db", values: { A: "1" } });
    await secrets.update(box.admin, { environment: "prod", name: "db", set: { A: "2" } });
    await secrets.create(box.admin, { environment: "main", name: "db", values: { A: "main" } });

    await environments().delete(box.admin, "prod");
    expect((await environments().list(box.admin)).map((e) => e.name)).toEqual(["main"]);
    await expect(secrets.list(box.admin, { environment: "prod" })).rejects.toThrow(
      "Environment 'prod' not found",
    );

    // A new environment of the same name starts empty; main is untouched.
    await environments().create(box.admin, "prod");
    expect(await secrets.list(box.admin, { environment: "prod" })).toEqual([]);
    expect((await secrets.reveal(box.admin, { environment: "main", name: "db" })).values).toEqual({
      A: "main",
    });

    if (!usesPostgres) {
      // The rows are gone from the file, not only hidden (SQLite only: it reads the file itself).
      const db = new SqliteDatabase(join(box.dataDir, databaseFileName), { readonly: true });
      try {
        expect(db.prepare("select count(*) as n from secrets").get()).toEqual({ n: 1 });
        expect(db.prepare("select count(*) as n from secret_versions").get()).toEqual({ n: 1 });
      } finally {
        db.close();
      }
    }
    expect((await box.services.audit.list(box.admin)).map((entry) => entry.action)).toContain(
      "environment.delete",
    );
  });

  it("refuses to delete main, and an unknown environment", async () => {
    await expect(environments().delete(box.admin, "main")).rejects.toThrow(
      "The 'main' environment cannot be deleted",
    );
    await expect(environments().delete(box.admin, "nope")).rejects.toThrow(NotFoundError);
  });

  it("keeps environments per workspace", async () => {
    const creator = { ...box.admin, canCreateWorkspaces: true };
    await box.services.workspaces.create(creator, "other");
    const other = await box.store.directory.findWorkspace("other");
    const outsider = testActor(other?.id ?? "", "admin");
    await environments().create(box.admin, "prod");
    expect((await environments().list(outsider)).map((e) => e.name)).toEqual(["main"]);
    await expect(environments().delete(outsider, "prod")).rejects.toThrow(NotFoundError);
    await environments().create(outsider, "prod");
    expect((await environments().list(box.admin)).map((e) => e.name)).toEqual(["main", "prod"]);
  });
});
