import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuthenticationError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox } from "../test-support/temp-lockbox.js";

// Resolves and token checks are served from a cache until the database may have changed: by
// this process, or by another one on the same data (here a second Lockbox, as `lockbox secret
// set` in embedded mode or another server would be). Every read must see every acknowledged write.
describe("cached reads", () => {
  let server: TempLockbox;
  let other: TempLockbox;
  beforeEach(async () => {
    server = await openTempLockbox();
    other = await openTempLockbox({ dataDir: server.dataDir });
  });
  afterEach(async () => {
    await other.close();
    await server.dispose();
  });

  const resolve = (box: TempLockbox, token: string) =>
    box.lockbox
      .authenticate(token)
      .then((actor) =>
        box.services.secrets.resolve(actor, { environment: "main", secrets: [{ name: "db" }] }),
      );

  async function issueToken(box: TempLockbox) {
    return box.services.tokens.create(box.admin, { role: "developer", name: "reader" });
  }

  it.each([
    ["this process", () => server],
    ["another process", () => other],
  ])("sees a secret changed by %s at the next read", async (_label, writer) => {
    const { value } = await issueToken(server);
    await server.services.secrets.create(server.admin, {
      environment: "main",
      name: "db",
      values: { V: "1" },
    });
    expect((await resolve(server, value))[0]?.values).toEqual({ V: "1" });
    for (let round = 2; round <= 4; round++) {
      await writer().services.secrets.update(server.admin, {
        environment: "main",
        name: "db",
        set: { V: String(round) },
      });
      const [resolved] = await resolve(server, value);
      expect(resolved).toMatchObject({ version: round, values: { V: String(round) } });
    }
  });

  it.each([
    ["this process", () => server],
    ["another process", () => other],
  ])("refuses a token revoked by %s at the next request", async (_label, revoker) => {
    const { token, value } = await issueToken(server);
    await server.lockbox.authenticate(value); // writes the token's "last used at"
    await server.lockbox.authenticate(value); // from the cache
    await revoker().services.tokens.revoke(server.admin, token.id);
    await expect(server.lockbox.authenticate(value)).rejects.toThrow(AuthenticationError);
  });

  it("sees a secret deleted by another process", async () => {
    const { value } = await issueToken(server);
    await server.services.secrets.create(server.admin, {
      environment: "main",
      name: "db",
      values: { V: "1" },
    });
    await resolve(server, value);
    await other.services.secrets.delete(server.admin, { environment: "main", name: "db" });
    await expect(resolve(server, value)).rejects.toThrow(/Secret 'db' not found/);
  });
});
