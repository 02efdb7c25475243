import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConflictError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox } from "../test-support/temp-lockbox.js";

const main = "main";
const keyNames = (count: number, prefix = "KEY_") => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

describe("createSecretService under concurrent writes", () => {
  let box: TempLockbox;
  beforeEach(async () => {
    box = await openTempLockbox();
  });
  afterEach(async () => {
    await box.dispose();
  });

  it("keeps every key of fifty concurrent updates", async () => {
    const secrets = box.services.secrets;
    await secrets.create(box.admin, { environment: main, name: "shared", values: { BASE: "0" } });
    const keys = keyNames(50);

    await Promise.all(
      keys.map((key, i) =>
        secrets.update(box.admin, { environment: main, name: "shared", set: { [key]: `v${i}` } }),
      ),
    );

    const { values, version } = await secrets.reveal(box.admin, { environment: main, name: "shared" });
    expect(Object.keys(values).sort()).toEqual(["BASE", ...keys].sort());
    for (const [i, key] of keys.entries()) expect(values[key]).toBe(`v${i}`);
    expect(version).toBe(51);
    const history = await secrets.history(box.admin, { environment: main, name: "shared" });
    expect(history.map((entry) => entry.version)).toEqual(Array.from({ length: 51 }, (_, i) => 51 - i));
    expect(history.every((entry) => entry.added.length === 1 || entry.version === 1)).toBe(true);
  });

  it("lets exactly one of several updates with the same ifVersion win", async () => {
    const secrets = box.services.secrets;
    await secrets.create(box.admin, { environment: main, name: "shared", values: {} });
    const results = await Promise.allSettled(
      keyNames(10).map((key) =>
        secrets.update(box.admin, { environment: main, name: "shared", set: { [key]: "x" }, ifVersion: 1 }),
      ),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const rejected = results.filter((result) => result.status === "rejected");
    expect(rejected).toHaveLength(9);
    for (const result of rejected) expect(result.reason).toBeInstanceOf(ConflictError);
    const { values } = await secrets.reveal(box.admin, { environment: main, name: "shared" });
    expect(Object.keys(values)).toHaveLength(1);
  });

  it("creates a name once when many create it at the same time", async () => {
    const secrets = box.services.secrets;
    const results = await Promise.allSettled(
      keyNames(10).map((key) =>
        secrets.create(box.admin, { environment: main, name: "race", values: { [key]: "1" } }),
      ),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect((await secrets.history(box.admin, { environment: main, name: "race" })).length).toBe(1);
  });
});

describe("two Lockbox instances on one data folder", () => {
  let first: TempLockbox;
  let second: TempLockbox;
  beforeEach(async () => {
    first = await openTempLockbox();
    second = await openTempLockbox({ dataDir: first.dataDir });
  });
  afterEach(async () => {
    await second.close();
    await first.dispose();
  });

  it("keeps every key when both update one secret concurrently", async () => {
    await first.services.secrets.create(first.admin, { environment: main, name: "shared", values: {} });
    const keysA = keyNames(15, "A_");
    const keysB = keyNames(15, "B_");
    const update = (box: TempLockbox, key: string) =>
      box.services.secrets.update(box.admin, { environment: main, name: "shared", set: { [key]: key } });

    await Promise.all([
      ...keysA.map((key) => update(first, key)),
      ...keysB.map((key) => update(second, key)),
    ]);

    for (const box of [first, second]) {
      const { values, version } = await box.services.secrets.reveal(box.admin, {
        environment: main,
        name: "shared",
      });
      expect(Object.keys(values).sort()).toEqual([...keysA, ...keysB].sort());
      expect(version).toBe(31);
    }
  });
});
