import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { type Lockbox, openLockbox, openLockboxWithStore } from "../lockbox.js";
import { AlreadyExistsError, ConflictError } from "../shared/errors.js";
import { createDatabase, dropDatabase, postgresUrlKey } from "../test-support/postgres-server.js";
import { makeTempDir, removeTempDir, testActor } from "../test-support/temp-lockbox.js";
import { usesPostgres } from "../test-support/test-database.js";

const main = "main";
const keyNames = (count: number) => Array.from({ length: count }, (_, i) => `KEY_${i}`);

// Runs in the `postgres` Vitest project only, which provides the server.
describe.skipIf(!usesPostgres)("two Lockbox instances on one PostgreSQL database", () => {
  let dataDir: string;
  let databaseUrl: string;
  let instances: Lockbox[];
  beforeEach(async () => {
    dataDir = makeTempDir();
    // Empty, not from the template: both instances migrate it at the same time.
    databaseUrl = await createDatabase(inject(postgresUrlKey));
    instances = await Promise.all([1, 2].map(() => openLockbox({ dataDir, databaseUrl })));
  });
  afterEach(async () => {
    await Promise.all(instances.map((lockbox) => lockbox.close()));
    await dropDatabase(inject(postgresUrlKey), databaseUrl);
    removeTempDir(dataDir);
  });

  async function admin() {
    const [first] = instances as [Lockbox];
    const workspace = await first.ensureDefaultWorkspace("test");
    return testActor(workspace.id, "admin");
  }

  it("migrates once when both start at once, and both share the master key check", async () => {
    // A third start finds the schema current, and the one master key the first two agreed on.
    const third = await openLockboxWithStore({ dataDir, databaseUrl });
    instances.push(third.lockbox);
    expect(await third.store.keys.listMasterKeys()).toHaveLength(1);
  });

  it("keeps every key of fifty concurrent updates split across both", async () => {
    const actor = await admin();
    const [first, second] = instances as [Lockbox, Lockbox];
    await first.services.secrets.create(actor, { environment: main, name: "shared", values: {} });
    const keys = keyNames(50);
    await Promise.all(
      keys.map((key, i) =>
        (i % 2 === 0 ? first : second).services.secrets.update(actor, {
          environment: main,
          name: "shared",
          set: { [key]: `v${i}` },
        }),
      ),
    );
    for (const lockbox of instances) {
      const { values, version } = await lockbox.services.secrets.reveal(actor, {
        environment: main,
        name: "shared",
      });
      expect(Object.keys(values).sort()).toEqual([...keys].sort());
      expect(version).toBe(51);
    }
    const history = await second.services.secrets.history(actor, { environment: main, name: "shared" });
    expect(history.map((entry) => entry.version)).toEqual(Array.from({ length: 51 }, (_, i) => 51 - i));
    // The audit log holds every write once, with numeric ids in order.
    const audit = await first.services.audit.list(actor, { limit: 200 });
    const writes = audit.filter((entry) => entry.secret === "shared" && entry.action !== "secret.reveal");
    expect(writes).toHaveLength(51);
    const ids = audit.map((entry) => entry.id);
    expect(ids.every((id) => typeof id === "number")).toBe(true);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("lets exactly one of ten updates with the same ifVersion win, split across both", async () => {
    const actor = await admin();
    const [first, second] = instances as [Lockbox, Lockbox];
    await first.services.secrets.create(actor, { environment: main, name: "guarded", values: {} });
    const results = await Promise.allSettled(
      keyNames(10).map((key, i) =>
        (i % 2 === 0 ? first : second).services.secrets.update(actor, {
          environment: main,
          name: "guarded",
          set: { [key]: "x" },
          ifVersion: 1,
        }),
      ),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const rejected = results.filter((result) => result.status === "rejected");
    expect(rejected.map((result) => result.reason.constructor)).toEqual(Array(9).fill(ConflictError));
    const { values, version } = await second.services.secrets.reveal(actor, {
      environment: main,
      name: "guarded",
    });
    expect({ keys: Object.keys(values).length, version }).toEqual({ keys: 1, version: 2 });
  });

  it("creates a secret once when both create it at the same moment", async () => {
    const actor = await admin();
    const results = await Promise.allSettled(
      instances.map((lockbox, i) =>
        lockbox.services.secrets.create(actor, {
          environment: main,
          name: "race",
          values: { [`K${i}`]: "1" },
        }),
      ),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const [rejected] = results.filter((result) => result.status === "rejected");
    expect(rejected?.reason).toBeInstanceOf(AlreadyExistsError);
    const [, second] = instances as [Lockbox, Lockbox];
    const history = await second.services.secrets.history(actor, { environment: main, name: "race" });
    expect(history).toHaveLength(1);
  });
});
