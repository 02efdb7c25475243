import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlreadyExistsError, InvalidError, NotFoundError, PermissionDeniedError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox, testActor } from "../test-support/temp-lockbox.js";
import type { CreateIdentityInput } from "./identity-service.js";

let box: TempLockbox;
beforeEach(async () => {
  box = await openTempLockbox();
});
afterEach(async () => {
  await box.dispose();
});

const identities = () => box.services.identities;
const github: CreateIdentityInput = {
  name: "deploy",
  issuer: "https://token.actions.githubusercontent.com",
  audience: "lockbox",
  subject: "repo:acme/*:ref:refs/heads/main",
  claims: { repository_owner: "acme" },
  role: "viewer",
};

describe("createIdentityService", () => {
  it("creates, lists, shows and deletes identities, audited by name", async () => {
    const created = await identities().create(box.admin, { ...github, environment: "main", ttlSeconds: 120 });
    expect(created).toMatchObject({
      ...github,
      environment: "main",
      ttlSeconds: 120,
      createdBy: box.admin.name,
    });
    await identities().create(box.admin, { ...github, name: "another" });
    expect((await identities().list(box.admin)).map((identity) => identity.name)).toEqual([
      "another",
      "deploy",
    ]);
    expect(await identities().get(box.admin, "another")).toMatchObject({
      ttlSeconds: 900,
      environment: null,
    });
    await identities().delete(box.admin, "deploy");
    await expect(identities().get(box.admin, "deploy")).rejects.toThrow(NotFoundError);
    const audit = (await box.services.audit.list(box.admin)).filter((e) => e.action.startsWith("identity."));
    expect(audit.map((entry) => [entry.action, entry.target])).toEqual([
      ["identity.delete", "deploy"],
      ["identity.create", "another"],
      ["identity.create", "deploy"],
    ]);
  });

  it("refuses a duplicate name, a missing environment and any non-admin", async () => {
    await identities().create(box.admin, github);
    await expect(identities().create(box.admin, github)).rejects.toThrow(AlreadyExistsError);
    await expect(
      identities().create(box.admin, { ...github, name: "x", environment: "nowhere" }),
    ).rejects.toThrow(NotFoundError);
    const developer = testActor(box.workspaceId, "developer");
    await expect(identities().list(developer)).rejects.toThrow(PermissionDeniedError);
    await expect(identities().create(developer, { ...github, name: "y" })).rejects.toThrow(
      PermissionDeniedError,
    );
  });

  it.each([
    [{ name: "no spaces" }, "Invalid identity name 'no spaces'"],
    [{ issuer: "http://issuer.example.com" }, "must be an https URL (http only on a loopback address)"],
    [{ issuer: "not a url" }, "Invalid issuer 'not a url'"],
    [{ audience: "" }, "The audience is required"],
    [{ subject: "" }, "The subject pattern cannot be empty"],
    [{ subject: "repo:**" }, "'**' is not allowed"],
    [{ subject: "*:*" }, "at least one character besides '*' and ':'"],
    [{ claims: { sub: "x" } }, "Claim 'sub' cannot be required with a claim"],
    [{ claims: { ref: "" } }, "The value of claim 'ref' must be 1 to 1024 characters"],
    [{ ttlSeconds: 59 }, "from 60 (1m) to 3600 (1h)"],
    [{ ttlSeconds: 3601 }, "from 60 (1m) to 3600 (1h)"],
    [{ role: "owner" }, "Invalid role 'owner': use one of viewer, invoker, developer, admin"],
  ])("refuses %j, saying what is allowed", async (change, message) => {
    const input = { ...github, ...change } as CreateIdentityInput;
    const attempt = identities().create(box.admin, input);
    await expect(attempt).rejects.toThrow(InvalidError);
    await expect(attempt).rejects.toThrow(message);
  });

  it("accepts http issuers on loopback addresses", async () => {
    for (const [index, issuer] of ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"].entries())
      await identities().create(box.admin, { ...github, name: `loop-${index}`, issuer });
    expect(await identities().list(box.admin)).toHaveLength(3);
  });
});
