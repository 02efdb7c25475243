import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidError, NotFoundError, PermissionDeniedError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox, testActor } from "../test-support/temp-lockbox.js";

let box: TempLockbox;
beforeEach(async () => {
  box = await openTempLockbox();
});
afterEach(() => box.dispose());

const apps = () => box.services.apps;
const deploy = {
  environment: "main",
  name: "example",
  bundle: "export const x = 1;",
  functions: [{ name: "f", index: 0 }],
};

describe("createAppService", () => {
  it("keeps every deploy as a new version and serves the newest", async () => {
    expect((await apps().deploy(box.admin, deploy)).version).toBe(1);
    expect((await apps().deploy(box.admin, { ...deploy, bundle: "export const x = 2;" })).version).toBe(2);
    const latest = await apps().get(box.admin, { environment: "main", name: "example" });
    expect(latest).toMatchObject({
      version: 2,
      bundle: "export const x = 2;",
      functions: [{ name: "f", index: 0 }],
    });
    const listed = await apps().list(box.admin, { environment: "main" });
    expect(listed).toEqual([expect.objectContaining({ name: "example", version: 2 })]);
    expect(listed[0]).not.toHaveProperty("bundle");
  });

  it("answers NotFoundError for an app never deployed", async () => {
    await expect(apps().get(box.admin, { environment: "main", name: "nope" })).rejects.toThrow(
      "App 'nope' is not deployed in environment 'main'",
    );
    await expect(apps().get(box.admin, { environment: "main", name: "nope" })).rejects.toThrow(NotFoundError);
  });

  it("checks the app name, the function names and the role", async () => {
    await expect(apps().deploy(box.admin, { ...deploy, name: "bad name" })).rejects.toThrow(InvalidError);
    await expect(
      apps().deploy(box.admin, { ...deploy, functions: [{ name: "not-js", index: 0 }] }),
    ).rejects.toThrow(InvalidError);
    await expect(apps().deploy(testActor(box.workspaceId, "viewer"), deploy)).rejects.toThrow(
      PermissionDeniedError,
    );
  });
});
