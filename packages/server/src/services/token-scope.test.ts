import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NotFoundError, PermissionDeniedError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox } from "../test-support/temp-lockbox.js";
import type { TokenActor } from "./authenticator.js";

let box: TempLockbox;
let stagingDeveloper: TokenActor;
let stagingAdmin: TokenActor;

beforeEach(async () => {
  box = await openTempLockbox();
  await box.services.environments.create(box.admin, "staging");
  for (const environment of ["main", "staging"]) {
    await box.services.secrets.create(box.admin, {
      environment,
      name: "db",
      values: { URL: `${environment}-url` },
    });
  }
  const issue = async (role: "developer" | "admin") =>
    box.lockbox.authenticate(
      (await box.services.tokens.create(box.admin, { role, environment: "staging" })).value,
    );
  stagingDeveloper = await issue("developer");
  stagingAdmin = await issue("admin");
});
afterEach(async () => {
  await box.dispose();
});

describe("a token limited to one environment", () => {
  it("reads and writes that environment only, and learns nothing of the others", async () => {
    const { secrets } = box.services;
    const staging = { environment: "staging", name: "db" };
    expect((await secrets.reveal(stagingDeveloper, staging)).values).toEqual({ URL: "staging-url" });
    await secrets.update(stagingDeveloper, { ...staging, set: { EXTRA: "1" } });

    const elsewhere = [
      () => secrets.reveal(stagingDeveloper, { environment: "main", name: "db" }),
      () => secrets.list(stagingDeveloper, { environment: "main" }),
      () => secrets.create(stagingDeveloper, { environment: "main", name: "new", values: {} }),
      // An environment that does not exist is refused the same way: no oracle.
      () => secrets.list(stagingDeveloper, { environment: "no-such-environment" }),
      () =>
        secrets.resolve(stagingDeveloper, {
          environment: "main",
          use: "container",
          secrets: [{ name: "db" }],
        }),
    ];
    for (const attempt of elsewhere) {
      const error = await attempt().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(PermissionDeniedError);
      expect((error as Error).message).toMatch(
        /^This token is limited to environment 'staging': it cannot act in '[\w-]+'$/,
      );
    }
    expect((await box.services.environments.list(stagingDeveloper)).map((e) => e.name)).toEqual(["staging"]);
  });

  it("as an admin, manages only its environment's tokens and nothing of the workspace as a whole", async () => {
    const { tokens, environments, audit } = box.services;
    const made = await tokens.create(stagingAdmin, { role: "viewer" });
    expect(made.token.environment).toBe("staging");
    await expect(tokens.create(stagingAdmin, { environment: "main" })).rejects.toThrow(PermissionDeniedError);
    const unscoped = (await tokens.create(box.admin, { role: "developer" })).token;
    const listed = await tokens.list(stagingAdmin);
    expect(listed.map((token) => token.environment)).toEqual(Array(listed.length).fill("staging"));
    expect(listed.map((token) => token.id)).not.toContain(unscoped.id);
    await expect(tokens.revoke(stagingAdmin, unscoped.id)).rejects.toThrow(NotFoundError);

    for (const attempt of [
      () => environments.create(stagingAdmin, "prod"),
      () => environments.delete(stagingAdmin, "staging"),
      () => audit.list(stagingAdmin),
      () => audit.verify(stagingAdmin),
    ]) {
      await expect(attempt()).rejects.toThrow(
        /^A token limited to environment 'staging' cannot .*; it needs a token for every environment$/,
      );
    }
  });
});
